/**
 * Sign-in: a sign-in link (#token=…) signs in on load without this screen; otherwise the token is pasted here.
 * When a session ended (expired, refused, signed out) the screen says so and what to do.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../components/icon.js';
import { LangSwitch } from '../components/lang-switch.js';
import { type MessageKey, useI18n } from '../i18n.js';
import { type Session, type SignInNotice, sessionOf } from '../session.js';

const NOTICE_TEXT: Readonly<Record<SignInNotice, MessageKey>> = {
  expired: 'signin.expired',
  rejected: 'signin.rejected',
  'no-role': 'signin.noRole',
  'signed-out': 'signin.signedOut',
  invalid: 'signin.invalid',
};

interface Props {
  notice: SignInNotice | undefined;
  onSignIn(session: Session): void;
  onSwitchLang(): void;
}

export function SignInScreen({ notice, onSignIn, onSwitchLang }: Props) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<SignInNotice | undefined>();
  const inputRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    document.title = `${t('signin.title')} – ${t('app.name')}`;
  }, [t]);

  const submit = (event: Event) => {
    event.preventDefault();
    const result = sessionOf(token);
    if ('notice' in result) {
      setProblem(result.notice);
      inputRef.current?.focus();
      return;
    }
    onSignIn(result.session);
  };

  const shown = problem ?? notice;
  const isProblem = shown !== undefined && shown !== 'signed-out';
  return (
    <>
      <header class="topbar topbar-simple">
        <div class="topbar-row">
          <p class="brand">
            <span class="brand-mark" aria-hidden="true" />
            {t('app.name')}
          </p>
          <LangSwitch onSwitch={onSwitchLang} />
        </div>
      </header>
      <main id="main" class="main sign-in">
        <div class="sign-in-card">
          <h1>{t('signin.title')}</h1>
          <p>{t('signin.intro')}</p>
          {shown && (
            <div
              class={`notice ${isProblem ? 'notice-error' : 'notice-info'}`}
              role={isProblem ? 'alert' : 'status'}
              data-testid="sign-in-notice"
              data-notice={shown}
            >
              <span class="notice-icon">
                <Icon name={isProblem ? 'warning' : 'info'} />
              </span>
              <p class="notice-text">{t(NOTICE_TEXT[shown])}</p>
            </div>
          )}
          <form onSubmit={submit} data-testid="sign-in-form" noValidate>
            <div class="field">
              <label for="token-input">{t('signin.tokenLabel')}</label>
              <textarea
                id="token-input"
                ref={inputRef}
                data-testid="token-input"
                rows={4}
                autocomplete="off"
                autocapitalize="off"
                spellcheck={false}
                value={token}
                aria-describedby="token-hint"
                aria-invalid={problem !== undefined}
                onInput={(e) => {
                  setToken(e.currentTarget.value);
                  setProblem(undefined);
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey) {
                    e.preventDefault();
                    e.currentTarget.form?.requestSubmit();
                  }
                }}
              />
              <p id="token-hint" class="field-hint">
                {t('signin.tokenHint')}
              </p>
            </div>
            <button type="submit" class="button button-primary button-wide">
              {t('signin.submit')}
            </button>
          </form>
        </div>
        <p class="sign-in-footer">{t('signin.footer')}</p>
      </main>
    </>
  );
}
