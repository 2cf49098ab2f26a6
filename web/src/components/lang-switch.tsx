/** Switches between Thai and English; the button names, in its own language, the language it switches to. */
import { useI18n } from '../i18n.js';
import { Icon } from './icon.js';

export function LangSwitch({ onSwitch }: { onSwitch(): void }) {
  const { t, lang } = useI18n();
  return (
    <button type="button" class="button button-quiet" data-testid="lang-switch" lang={lang === 'th' ? 'en' : 'th'} onClick={onSwitch}>
      <Icon name="globe" />
      {t('lang.switchTo')}
    </button>
  );
}
