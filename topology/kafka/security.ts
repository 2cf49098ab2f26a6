/**
 * How a process's Kafka clients connect: in the clear (PLAINTEXT), over TLS (SSL), or authenticated with SASL
 * (SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN) in the clear or over TLS (SASL_SSL); which CA to trust, and a client
 * certificate for brokers that ask for one. The settings are the `kafka` section of settings/registry.ts;
 * `checkKafkaSecurity` refuses a combination that cannot work (SASL without a password, a CA file without
 * TLS…) and `connectionOptions` reads the files once and turns them into @platformatic/kafka's `tls` and
 * `sasl` options, which every client of the process (admin, producer, consumers, readers) is given.
 *
 * When Kafka refuses a process anyway (a wrong password, a CA that did not sign the broker's certificate, TLS
 * against a PLAINTEXT listener), `explainKafkaFailure` turns the client's nested errors into one sentence that
 * names the setting to look at.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions as TlsOptions, createSecureContext } from 'node:tls';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSecurityConfig {
  securityProtocol: SecurityProtocol;
  saslMechanism: SaslMechanism;
  saslUsername: string | undefined;
  saslPassword: string | undefined;
  /** PEM file of the CA(s) the brokers' certificates must chain to; unset: Node's public CAs. */
  sslCaFile: string | undefined;
  /** Client certificate (PEM) and its key, for brokers that require one (ssl.client.auth=required). */
  sslCertFile: string | undefined;
  sslKeyFile: string | undefined;
  sslKeyPassword: string | undefined;
  /** false: any certificate is accepted (tests against a throwaway broker only). */
  sslRejectUnauthorized: boolean;
}

export const PLAINTEXT: KafkaSecurityConfig = {
  securityProtocol: 'PLAINTEXT',
  saslMechanism: 'SCRAM-SHA-512',
  saslUsername: undefined,
  saslPassword: undefined,
  sslCaFile: undefined,
  sslCertFile: undefined,
  sslKeyFile: undefined,
  sslKeyPassword: undefined,
  sslRejectUnauthorized: true,
};

/** What @platformatic/kafka's clients take (spread into each client's options). */
export interface KafkaConnectionOptions {
  readonly tls?: TlsOptions;
  /** SNI: the broker's host name is sent, as cloud brokers behind one address need; never for an IP address. */
  readonly tlsServerName?: boolean;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

export const usesTls = (config: KafkaSecurityConfig): boolean =>
  config.securityProtocol === 'SSL' || config.securityProtocol === 'SASL_SSL';
export const usesSasl = (config: KafkaSecurityConfig): boolean =>
  config.securityProtocol === 'SASL_PLAINTEXT' || config.securityProtocol === 'SASL_SSL';

/** Refuses settings that cannot work together, naming them; returns the config when they can. */
export function checkKafkaSecurity(config: KafkaSecurityConfig): KafkaSecurityConfig {
  const protocol = `KAFKA_SECURITY_PROTOCOL=${config.securityProtocol}`;
  if (usesSasl(config)) {
    if (!config.saslUsername)
      throw new Error(`${protocol} needs KAFKA_SASL_USERNAME: the Kafka user this process signs in as (${config.saslMechanism})`);
    if (!config.saslPassword)
      throw new Error(
        `${protocol} needs KAFKA_SASL_PASSWORD: the password of Kafka user "${config.saslUsername}" (${config.saslMechanism})`,
      );
    if (config.saslMechanism === 'PLAIN' && !usesTls(config))
      throw new Error(
        `KAFKA_SASL_MECHANISM=PLAIN sends the password itself: use it with KAFKA_SECURITY_PROTOCOL=SASL_SSL, not ${config.securityProtocol}`,
      );
  } else {
    const set = [config.saslUsername && 'KAFKA_SASL_USERNAME', config.saslPassword && 'KAFKA_SASL_PASSWORD'].filter(Boolean);
    if (set.length)
      throw new Error(
        `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set, but ${protocol} signs in as nobody: use SASL_SSL (or SASL_PLAINTEXT), or unset ${set.length > 1 ? 'them' : 'it'}`,
      );
  }
  if (!usesTls(config)) {
    const set = [
      config.sslCaFile && 'KAFKA_SSL_CA_FILE',
      config.sslCertFile && 'KAFKA_SSL_CERT_FILE',
      config.sslKeyFile && 'KAFKA_SSL_KEY_FILE',
      config.sslKeyPassword && 'KAFKA_SSL_KEY_PASSWORD',
    ].filter(Boolean);
    if (set.length)
      throw new Error(
        `${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set, but ${protocol} does not use TLS: use SSL or SASL_SSL, or unset ${set.length > 1 ? 'them' : 'it'}`,
      );
  }
  if (Boolean(config.sslCertFile) !== Boolean(config.sslKeyFile))
    throw new Error('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: the client certificate and its private key');
  if (config.sslKeyPassword && !config.sslKeyFile) throw new Error('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_FILE');
  return config;
}

const readPem = (variable: string, path: string, marker: RegExp, what: string): string => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} (${(error as Error).message})`, { cause: error });
  }
  if (!marker.test(text)) throw new Error(`${variable}: ${path} holds no PEM ${what}`);
  return text;
};

/**
 * The clients' `tls` and `sasl` options for `brokers` (checked first; the files read now, so a missing or
 * mismatched one stops the process at start rather than at its first connection).
 */
export function connectionOptions(config: KafkaSecurityConfig, brokers: readonly string[]): KafkaConnectionOptions {
  checkKafkaSecurity(config);
  const options: { tls?: TlsOptions; tlsServerName?: boolean; sasl?: KafkaConnectionOptions['sasl'] } = {};
  if (usesTls(config)) {
    const tls: TlsOptions = { rejectUnauthorized: config.sslRejectUnauthorized };
    if (config.sslCaFile) tls.ca = readPem('KAFKA_SSL_CA_FILE', config.sslCaFile, /-----BEGIN CERTIFICATE-----/, 'certificate');
    if (config.sslCertFile && config.sslKeyFile) {
      tls.cert = readPem('KAFKA_SSL_CERT_FILE', config.sslCertFile, /-----BEGIN CERTIFICATE-----/, 'certificate');
      tls.key = readPem('KAFKA_SSL_KEY_FILE', config.sslKeyFile, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
      if (config.sslKeyPassword) tls.passphrase = config.sslKeyPassword;
    }
    try {
      // What the TLS connection will do with them: a bad CA, a key that does not fit the certificate, a wrong
      // passphrase fail here, by name.
      createSecureContext(tls);
    } catch (error) {
      const files = config.sslCertFile ? 'KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE (/ KAFKA_SSL_KEY_PASSWORD)' : 'KAFKA_SSL_CA_FILE';
      throw new Error(`${files} cannot be used for TLS: ${(error as Error).message}`, { cause: error });
    }
    options.tls = tls;
    const host = brokers[0]?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (host && !isIP(host)) options.tlsServerName = true;
  }
  if (usesSasl(config)) options.sasl = { mechanism: config.saslMechanism, username: config.saslUsername!, password: config.saslPassword! };
  return options;
}

/** How a process connects, for logs (no secret). */
export function describeKafkaSecurity(config: KafkaSecurityConfig): string {
  const parts: string[] = [config.securityProtocol];
  if (usesSasl(config)) parts.push(`${config.saslMechanism} as ${config.saslUsername}`);
  if (usesTls(config)) {
    parts.push(config.sslCaFile ? `trusting ${config.sslCaFile}` : 'trusting the public CAs');
    if (config.sslCertFile) parts.push(`client certificate ${config.sslCertFile}`);
    if (!config.sslRejectUnauthorized) parts.push('CERTIFICATES NOT VERIFIED');
  }
  return parts.join(', ');
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** Every error in the client's tree (MultipleErrors' `errors`, each one's `cause`). */
function* causes(error: unknown, depth = 0): Generator<ErrorLike> {
  if (!error || typeof error !== 'object' || depth > 8) return;
  const value = error as ErrorLike;
  yield value;
  if (Array.isArray(value.errors)) for (const inner of value.errors) yield* causes(inner, depth + 1);
  yield* causes(value.cause, depth + 1);
}

const CERTIFICATE_NOT_TRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/**
 * One sentence on why Kafka refused this process and which setting to look at, when the failure is one of
 * connecting (credentials, TLS, an address); undefined for any other error.
 */
export function explainKafkaFailure(error: unknown, config: KafkaSecurityConfig, brokers: readonly string[]): string | undefined {
  const all = [...causes(error)];
  const codes = new Set(all.map((e) => String(e.code ?? '')));
  if (![...codes].some((code) => code.startsWith('PLT_KFK_'))) return undefined; // not the Kafka client's
  const text = all.map((e) => String(e.message ?? '')).join(' | ');
  const at = brokers.join(',');
  const protocol = `KAFKA_SECURITY_PROTOCOL=${config.securityProtocol}`;
  if (codes.has('PLT_KFK_AUTHENTICATION')) {
    if (/suitable SASL mechanism|does not support the requested SASL mechanism/i.test(text))
      return `Kafka at ${at} does not offer SASL mechanism ${config.saslMechanism}: set KAFKA_SASL_MECHANISM to one its listener enables (sasl.enabled.mechanisms)`;
    return `Kafka at ${at} refused the credentials of user "${config.saslUsername ?? ''}" (${config.saslMechanism}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that the user exists for this mechanism (kafka-configs --alter --add-config '${config.saslMechanism}=[password=…]' --entity-type users --entity-name ${config.saslUsername ?? 'USER'})`;
  }
  const untrusted = all.find((e) => CERTIFICATE_NOT_TRUSTED.has(String(e.code ?? '')));
  if (untrusted)
    return `the certificate of Kafka at ${at} is not trusted (${String(untrusted.message)}): set KAFKA_SSL_CA_FILE to the PEM file of the CA that signed it${config.sslCaFile ? ` (now ${config.sslCaFile})` : ''}`;
  if (codes.has('CERT_HAS_EXPIRED')) return `the certificate of Kafka at ${at} has expired: the broker needs a new one`;
  if (codes.has('ERR_TLS_CERT_ALTNAME_INVALID'))
    return `the certificate of Kafka at ${at} is not for that address (${/Reason: ([^|]*)/.exec(text)?.[1]?.trim() ?? 'name mismatch'}): connect by a name the certificate lists (KAFKA_BROKERS)`;
  if (/TLS handshake failed|wrong version number|packet length too long/i.test(text))
    return `Kafka at ${at} does not speak TLS on that port: its listener is PLAINTEXT or SASL_PLAINTEXT, not what ${protocol} expects`;
  if (/certificate required|alert handshake failure|bad certificate/i.test(text))
    return `Kafka at ${at} refused the TLS handshake: it asks for a client certificate${config.sslCertFile ? ` and did not accept ${config.sslCertFile}` : ': set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE'}`;
  if (codes.has('ECONNREFUSED')) return `nothing accepts connections at ${at}: check KAFKA_BROKERS and that the broker runs`;
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN')) return `the broker address in KAFKA_BROKERS (${at}) does not resolve`;
  if (/Connection closed/i.test(text)) {
    if (!usesTls(config))
      return `Kafka at ${at} closed the connection at once: its listener may expect TLS or SASL, and this process uses ${protocol} (set KAFKA_SECURITY_PROTOCOL=SASL_SSL or SSL with the matching KAFKA_SASL_* / KAFKA_SSL_* settings)`;
    if (!config.sslCertFile)
      return `Kafka at ${at} closed the connection after the TLS handshake: its listener may require a client certificate (set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE) or expect another protocol than ${protocol}`;
    return `Kafka at ${at} closed the connection after the TLS handshake: it may not accept the client certificate ${config.sslCertFile}, or expect another protocol than ${protocol}`;
  }
  return undefined;
}
