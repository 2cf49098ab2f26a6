/**
 * What makes each worker a replica of its own (pure, so the plan is tested without forking): its state directory,
 * its static-membership id, the endpoint it advertises for forwarded lookups, and the search-cursor key every
 * worker must share so a next page asked of a sibling is not refused.
 */
import { join } from 'node:path';

export interface WorkerPlanInputs {
  /** OMNIA_STATE_DIR: each worker keeps its tasks' stores in `worker-N` under it. */
  readonly stateDir: string;
  /** OMNIA_INSTANCE_ID (the pod name): worker N joins as `<id>-wN`. */
  readonly instanceId?: string | undefined;
  /** OMNIA_ENDPOINT: worker N advertises its host with a port of its own. */
  readonly endpoint?: string | undefined;
  /** PORT, the public port every worker shares. */
  readonly port: number;
  /** OMNIA_WORKER_BASE_PORT; unset: PORT + 1. */
  readonly workerBasePort?: number | undefined;
  /** OMNIA_SEARCH_CURSOR_KEY as set, or one the primary made for its workers. */
  readonly searchCursorKey: string;
}

/** The port worker `number` (1 …) listens on for itself. */
export const workerPort = (number: number, inputs: Pick<WorkerPlanInputs, 'port' | 'workerBasePort'>): number =>
  (inputs.workerBasePort ?? inputs.port + 1) + number - 1;

/** `host:port` with its port replaced; IPv6 hosts keep their brackets. */
export function endpointWithPort(endpoint: string, port: number): string {
  const colon = endpoint.lastIndexOf(':');
  const host = colon > endpoint.lastIndexOf(']') ? endpoint.slice(0, colon) : endpoint;
  if (!host) throw new Error(`OMNIA_ENDPOINT must be host:port, got "${endpoint}"`);
  return `${host}:${port}`;
}

/** Worker `number`'s static-membership id: the pod's with `-wN`. */
export const workerInstanceId = (instanceId: string, number: number): string => `${instanceId}-w${number}`;

/** The variables worker `number` is forked with, over the primary's own. */
export function workerEnvironment(number: number, inputs: WorkerPlanInputs): Record<string, string> {
  return {
    OMNIA_WORKER_NUMBER: String(number),
    OMNIA_STATE_DIR: join(inputs.stateDir, `worker-${number}`),
    OMNIA_SEARCH_CURSOR_KEY: inputs.searchCursorKey,
    ...(inputs.instanceId ? { OMNIA_INSTANCE_ID: workerInstanceId(inputs.instanceId, number) } : {}),
    ...(inputs.endpoint ? { OMNIA_ENDPOINT: endpointWithPort(inputs.endpoint, workerPort(number, inputs)) } : {}),
  };
}
