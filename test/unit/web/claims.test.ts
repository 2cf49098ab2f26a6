import t from 'tap';
import {
  canCancel,
  decodeClaims,
  defaultLanguage,
  isExpired,
  isStoreRole,
  mainRole,
  seesAllStores,
  tokenFromFragment,
} from '../../../web/src/logic/claims.js';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (payload: unknown) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJl`;

t.test('claims are read from the payload, UTF-8 included', async (t) => {
  const claims = decodeClaims(token({ sub: 'สมชาย', roles: ['store_staff'], stores: ['S001', 'S002'], exp: 2_000_000_000 }));
  t.same(claims, { sub: 'สมชาย', roles: ['store_staff'], stores: ['S001', 'S002'], exp: 2_000_000_000 });
  t.same(decodeClaims(token({ sub: 'a', roles: 'admin' }))?.roles, ['admin'], 'a single role as a string');
  t.equal(decodeClaims('not a token'), undefined);
  t.equal(decodeClaims('a.b'), undefined);
  t.equal(decodeClaims(`x.${Buffer.from('[1]').toString('base64url')}.y`), undefined, 'payload must be an object');
  t.equal(decodeClaims('x.%%%.y'), undefined);
});

t.test('roles decide the screens and the first language', async (t) => {
  const staff = decodeClaims(token({ sub: 'a', roles: ['store_staff'], stores: ['S001'] }))!;
  const coordinator = decodeClaims(token({ sub: 'b', roles: ['regional_coordinator'] }))!;
  const admin = decodeClaims(token({ sub: 'c', roles: ['admin', 'store_staff'] }))!;
  const bundles = decodeClaims(token({ sub: 'd', roles: ['bundle_manager'] }))!;
  t.ok(isStoreRole(staff));
  t.notOk(seesAllStores(staff));
  t.ok(canCancel(staff));
  t.ok(seesAllStores(coordinator));
  t.notOk(canCancel(coordinator), 'a coordinator only reads');
  t.ok(canCancel(admin));
  t.notOk(isStoreRole(admin));
  t.equal(mainRole(admin), 'admin');
  t.equal(mainRole(bundles), 'bundle_manager');
  t.equal(defaultLanguage(staff), 'th');
  t.equal(defaultLanguage(coordinator), 'en');
  t.equal(defaultLanguage(bundles), 'en');
  t.equal(defaultLanguage(undefined), 'th');
});

t.test('expiry', async (t) => {
  const claims = decodeClaims(token({ sub: 'a', exp: 100 }))!;
  t.ok(isExpired(claims, 100_000));
  t.notOk(isExpired(claims, 99_999));
  t.notOk(isExpired(decodeClaims(token({ sub: 'a' }))!, Date.now()), 'no exp: the service decides');
});

t.test('the token of a sign-in link', async (t) => {
  t.equal(tokenFromFragment('#token=abc.def.ghi'), 'abc.def.ghi');
  t.equal(tokenFromFragment('#lang=th&token=abc.def.ghi'), 'abc.def.ghi');
  t.equal(tokenFromFragment('#/board'), undefined, 'a route is not a token');
  t.equal(tokenFromFragment(''), undefined);
  t.equal(tokenFromFragment('#token='), undefined);
});
