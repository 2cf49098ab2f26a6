/** The webhook ingress (connectors/webhook-server.ts) still imports the security headers from here; they are in plugins.ts. */
export { installSecurityHeaders } from './plugins.js';
