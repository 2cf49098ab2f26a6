/** The customer tracking link's settings (section `tracking`): `omnia notify` signs links, the query service opens them. */
import { trackingSection } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export interface TrackingConfig {
  /** HMAC secret of the links; unset: the query service serves no tracking page. */
  secret: string | undefined;
  /** Public base URL of the query service, put before /track/<token> in messages. */
  baseUrl: string | undefined;
  /** A link works until this many days after the change its message tells of (the delivery, for the last one). */
  linkDays: number;
}

export const trackingSettings = trackingSection;

export const loadTrackingConfig = (overrides: Partial<TrackingConfig> = {}, env: NodeJS.ProcessEnv = process.env): TrackingConfig =>
  loadSettings(trackingSettings, overrides, env);
