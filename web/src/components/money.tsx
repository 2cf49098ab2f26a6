/** An amount: two decimals, the exact four in the tooltip, or the exact four when `exact`. */
import { formatBaht } from '../logic/money.js';

export function Money({ value, exact = false, class: className }: { value: string; exact?: boolean; class?: string }) {
  const full = formatBaht(value, true);
  return (
    <span class={`money${className ? ` ${className}` : ''}`} title={full}>
      {exact ? full : formatBaht(value)}
    </span>
  );
}
