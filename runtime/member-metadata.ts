/**
 * What each replica publishes with its group subscription: its instance id and the query endpoint other replicas
 * forward lookups to. Written by the runtime's consumer, read wherever the group's members are described (standby
 * choice, lookup routing, `omnia status`, `omnia explain`).
 */
export interface MemberMetadata {
  readonly instance: string;
  readonly endpoint: string | null;
}

export const encodeMemberMetadata = (metadata: MemberMetadata): Buffer => Buffer.from(JSON.stringify(metadata));

/** A member's published `{ instance, endpoint }`; undefined when it is not one of ours. */
export function parseMemberMetadata(metadata: Buffer | null): MemberMetadata | undefined {
  try {
    const value = JSON.parse(metadata?.toString() ?? '') as { instance?: unknown; endpoint?: unknown };
    if (typeof value.instance !== 'string') return undefined;
    return { instance: value.instance, endpoint: typeof value.endpoint === 'string' && value.endpoint ? value.endpoint : null };
  } catch {
    return undefined;
  }
}
