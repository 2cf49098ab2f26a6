import t from 'tap';
import { normaliseAddress, normalisePhone, normalisePostalCode, normaliseText } from '../../../processors/domain/address.js';

t.test('text fields are trimmed, whitespace collapsed, NFC, case kept', async (t) => {
  t.equal(normaliseText('  1  Silom\tRd\n\u00a0Soi 3 '), '1 Silom Rd Soi 3');
  t.equal(normaliseText('e\u0301'), '\u00e9', 'composed to NFC');
  t.equal(normaliseText('Bang Rak'), 'Bang Rak');
});

t.test('postal code keeps digits only, Thai digits converted', async (t) => {
  t.equal(normalisePostalCode(' 10110 '), '10110');
  t.equal(normalisePostalCode('10-110'), '10110');
  t.equal(normalisePostalCode('๑๐๑๑๐'), '10110');
  t.equal(normalisePostalCode('n/a'), '');
});

t.test('phone: +66 and 0066 become the local 0 form; separators dropped', async (t) => {
  t.equal(normalisePhone('+66 81 234 5678'), '0812345678');
  t.equal(normalisePhone('+66-2-123-4567'), '021234567', 'a Bangkok landline');
  t.equal(normalisePhone('0066812345678'), '0812345678');
  t.equal(normalisePhone('+66 (0)81 234 5678'), '0812345678', 'no doubled trunk 0');
  t.equal(normalisePhone('081-234-5678'), '0812345678');
  t.equal(normalisePhone('๐๘๑ ๒๓๔ ๕๖๗๘'), '0812345678', 'Thai digits');
});

t.test('phone: other countries keep +, a bare 66 is left as digits', async (t) => {
  t.equal(normalisePhone('+1 (555) 123-4567'), '+15551234567');
  t.equal(normalisePhone('0044 20 7946 0000'), '+442079460000');
  t.equal(normalisePhone('66812345678'), '66812345678');
  t.equal(normalisePhone(''), '');
});

t.test('normaliseAddress normalises every field, keeps nulls and does not modify its input', async (t) => {
  const input = { Line1: ' 1  Silom Rd ', District: null, Province: 'Bangkok ', PostalCode: '10 110', Phone: '+66 81 234 5678' };
  const copy = structuredClone(input);
  t.same(normaliseAddress(input), { Line1: '1 Silom Rd', District: null, Province: 'Bangkok', PostalCode: '10110', Phone: '0812345678' });
  t.same(input, copy);
  const bare = { Line1: null, District: null, Province: null, PostalCode: '10110', Phone: null };
  t.same(normaliseAddress(bare), bare, 'null fields stay null');
});
