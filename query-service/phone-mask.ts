/**
 * The delivery phone as store roles see it: "0812345678" → "081****678". The number stays in the form the pipeline
 * holds it (the local Thai form, or "+" and digits for another country: processors/domain/address.ts), so a clerk
 * reads it as the customer gave it and can check "does your number end in 678?". At least four characters are
 * always hidden; the first three and the last three are shown only when that leaves four hidden, the start giving
 * way first ("021234567" → "02****567", "1234567" → "****567"). Each hidden character becomes one `*`, so the
 * length shows.
 *
 * Not the notification connector's mask (`+66*****5678`, connectors/notifications/preferences.ts): that one keeps
 * the recipient's E.164 form and last four digits for the audit records of messages sent, a reader who never sees
 * the order's own number. The two serve different readers and are kept apart.
 */

/** Characters always hidden. */
const HIDDEN = 4;
/** Characters shown at each end, at most. */
const SHOWN = 3;

/** The phone masked (see the file comment). Masking a masked phone changes nothing. */
export function maskPhone(phone: string): string {
  const chars = [...phone];
  const end = Math.min(SHOWN, Math.max(0, chars.length - HIDDEN));
  const start = Math.min(SHOWN, Math.max(0, chars.length - HIDDEN - end));
  return [...chars.slice(0, start), '*'.repeat(chars.length - start - end), ...chars.slice(chars.length - end)].join('');
}

/** True for a phone that carries a mask's `*`: never a number anyone can call. */
export const isMaskedPhone = (phone: string): boolean => phone.includes('*');
