/**
 * The registry as people read it: `omnia config` (every setting with the value this process would use, secrets
 * redacted) and the README's configuration table, which a test keeps equal to the registry.
 */
import type { Setting } from './setting.js';
import { registry, type Section } from './registry.js';

export interface SettingRow {
  readonly section: string;
  readonly env: string;
  readonly doc: string;
  readonly default: string;
  readonly secret: boolean;
}

const shown = (value: unknown): string => {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
};

/** Each setting once, in the first section that uses it (DATABASE_URL serves several). */
function uniqueSettings(sections: readonly Section[]): Array<{ section: Section; settings: Array<Setting<unknown>> }> {
  const seen = new Set<string>();
  return sections.map((section) => ({
    section,
    settings: (Object.values(section.settings) as Array<Setting<unknown>>).filter(
      (setting) => !seen.has(setting.env) && seen.add(setting.env),
    ),
  }));
}

export function settingRows(sections: readonly Section[] = registry): SettingRow[] {
  return uniqueSettings(sections).flatMap(({ section, settings }) =>
    settings.map((setting) => ({
      section: section.name,
      env: setting.env,
      doc: setting.doc,
      default: setting.secret ? '' : (setting.defaultText ?? shown(setting.default)),
      secret: setting.secret === true,
    })),
  );
}

/** The README's table: one row per setting, grouped by section, in registry order. */
export function markdownTable(rows: readonly SettingRow[] = settingRows()): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| setting | section | default | meaning |', '|---|---|---|---|'];
  for (const row of rows) {
    lines.push(
      `| \`${row.env}\`${row.secret ? ' (secret)' : ''} | ${row.section} | ${row.default ? `\`${cell(row.default)}\`` : ''} | ${cell(row.doc)} |`,
    );
  }
  return lines.join('\n');
}

/** `omnia config`: what each setting is here and now — set or default, secrets never printed; bad values named. */
export function describeCurrent(env: NodeJS.ProcessEnv = process.env, sections: readonly Section[] = registry): string {
  const out: string[] = [];
  const problems: string[] = [];
  for (const { section, settings } of uniqueSettings(sections)) {
    out.push(`\n${section.name} — ${section.title}`);
    for (const setting of settings) {
      const raw = env[setting.env];
      const set = raw !== undefined && raw !== '';
      let value: string;
      if (!set) value = setting.secret ? '(unset)' : `${setting.defaultText ?? (shown(setting.default) || '(unset)')}  (default)`;
      else if (setting.secret) value = '(set, redacted)';
      else {
        try {
          value = shown(setting.parse(raw));
        } catch (error) {
          value = `INVALID: ${(error as Error).message}`;
          problems.push(setting.env);
        }
      }
      out.push(`  ${setting.env.padEnd(36)} ${value}`);
    }
  }
  const head = problems.length
    ? `${problems.length} setting(s) would refuse to start: ${problems.join(', ')}`
    : 'every setting that is set is valid';
  return `${head}\n${out.join('\n')}\n`;
}
