/**
 * Who is asking, as the bearer token says: roles and the stores a store role may see. A store role sees only
 * its stores' orders; another store's order is answered 404, not 403, so ids of other stores leak nothing.
 */
export const Roles = ['store_staff', 'store_manager', 'regional_coordinator', 'admin', 'bundle_manager'] as const;
export type Role = (typeof Roles)[number];

export interface Principal {
  /** The token's `sub`. */
  readonly subject: string;
  readonly roles: readonly Role[];
  /** ShipFromLocationIDs from the `stores` claim; only consulted for store roles. */
  readonly stores: readonly string[];
  /** Rate limiting is per token: its `jti`, else a hash of the token itself. */
  readonly tokenId: string;
}

/** Regional coordinators, admins and bundle managers see every store; store roles see the stores in their claim. */
export const seesAllStores = (principal: Principal): boolean =>
  principal.roles.some((role) => role === 'regional_coordinator' || role === 'admin' || role === 'bundle_manager');

export const canSeeStore = (principal: Principal, shipFromLocationId: string): boolean =>
  seesAllStores(principal) || principal.stores.includes(shipFromLocationId);

/** The stores a search is limited to: undefined for all, else the principal's stores. */
export const visibleStores = (principal: Principal): readonly string[] | undefined =>
  seesAllStores(principal) ? undefined : principal.stores;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api route; absent on health, metrics and docs. */
    principal?: Principal;
  }
}

/**
 * The delivery address is personal data, shown to those who deliver or change the order: store staff and managers
 * of its store, and admins. Coordinators and bundle managers see the order without it.
 */
export const seesDeliveryAddress = (principal: Principal, shipFromLocationId: string): boolean =>
  principal.roles.includes('admin') ||
  (principal.roles.some((role) => role === 'store_staff' || role === 'store_manager') && principal.stores.includes(shipFromLocationId));

/**
 * The delivery phone whole: admins, who take the calls store staff pass on. Store staff and managers see it masked
 * (phone-mask.ts): enough to check it with the customer, not to copy it; coordinators see no address at all.
 */
export const seesWholePhone = (principal: Principal): boolean => principal.roles.includes('admin');
