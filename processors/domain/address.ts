// A DeliveryAddress in one canonical form, so that addresses compare, print and match the COD service area
// alike however a producer typed them.
//
// - Text fields (Line1, District, Province): Unicode NFC, trimmed, every run of whitespace (tabs, newlines,
//   no-break spaces included) collapsed to one space. Case is kept: it is the customer's text.
// - PostalCode: digits only. Thai digits (๐–๙) become 0–9; everything else (spaces, dashes) is dropped.
//   "10 110" and "๑๐๑๑๐" both become "10110". The length is not checked here.
// - Phone: the local Thai form "0XXXXXXXX(X)" when the number is Thai. Thai digits become 0–9, separators
//   (spaces, dashes, dots, parentheses) are dropped; then "+66…" and "0066…" (the international prefix
//   dialled from Thailand) become "0…", and a trunk 0 written after the country code ("+66 (0)81…") is not
//   doubled. A bare "66…" is left alone: without "+" or "00" it cannot be told from a local number. A number
//   of another country keeps its "+" ("+15551234567"); anything else keeps its digits only.
// - Null fields stay null; other fields pass through untouched. The input is not modified.
import type { DeliveryAddress } from './types.js';

const THAI_ZERO = 0x0e50;
const THAI_DIGIT = /[\u0E50-\u0E59]/g;

/** Thai digits ๐–๙ as ASCII 0–9. */
const asciiDigits = (text: string): string => text.replace(THAI_DIGIT, (digit) => String(digit.charCodeAt(0) - THAI_ZERO));

/** NFC, trimmed, whitespace runs collapsed to one space. */
export const normaliseText = (text: string): string => text.normalize('NFC').replace(/\s+/g, ' ').trim();

/** Digits only (Thai digits converted). */
export const normalisePostalCode = (postalCode: string): string => asciiDigits(postalCode).replace(/[^0-9]/g, '');

/** Thai numbers in the local 0… form; other numbers as "+" and digits; see the file comment. */
export function normalisePhone(phone: string): string {
  const text = asciiDigits(phone).trim();
  const international = text.startsWith('+') || text.startsWith('00');
  const digits = text.replace(/[^0-9]/g, '');
  if (!international) return digits;
  const number = text.startsWith('+') ? digits : digits.slice(2);
  if (!number.startsWith('66')) return `+${number}`;
  const national = number.slice(2);
  return national.startsWith('0') ? national : `0${national}`;
}

const text = (value: string | null): string | null => (typeof value === 'string' ? normaliseText(value) : value);

/** The address in canonical form (see the file comment); a new object. */
export function normaliseAddress(address: DeliveryAddress): DeliveryAddress {
  return {
    ...address,
    Line1: text(address.Line1),
    District: text(address.District),
    Province: text(address.Province),
    PostalCode: normalisePostalCode(address.PostalCode),
    Phone: typeof address.Phone === 'string' ? normalisePhone(address.Phone) : address.Phone,
  };
}
