import { loadSettings } from '../settings/setting.js';
import { workersSection } from '../settings/registry.js';

/** How `omnia start` on Kafka spreads its stream tasks over processes (settings/registry.ts, section `workers`). */
export interface WorkersConfig {
  /** Processes running stream tasks; 1: this process itself, as before there were workers. */
  workers: number;
  /** First port of the workers' own listeners; unset: PORT + 1. */
  workerBasePort: number | undefined;
  /** This process's number among its primary's workers (1 …); unset outside a worker. */
  workerNumber: number | undefined;
}

export const loadWorkersConfig = (env: NodeJS.ProcessEnv = process.env): WorkersConfig => loadSettings(workersSection, {}, env);
