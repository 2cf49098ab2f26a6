/**
 * The Kafka security settings (topology/kafka/security.ts, section `kafka` of the registry): combinations that
 * cannot work are refused naming the settings, the files are read and checked at load, and the options handed
 * to every client are what @platformatic/kafka takes. The client's refusals, as it nests them, become one
 * sentence naming what to look at. (The real broker over SASL_SSL and SSL: test/kafka/sasl-ssl.test.ts.)
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { kafkaConnection, loadKafkaSecurity } from '../../topology/kafka/connection.js';
import { describeKafkaSecurity, explainKafkaFailure, PLAINTEXT } from '../../topology/kafka/security.js';
import { describeCurrent } from '../../settings/describe.js';

const FIXTURES = 'test/fixtures/kafka-tls';
const CA = `${FIXTURES}/ca.pem`;
const CERT = `${FIXTURES}/client.pem`;
const KEY = `${FIXTURES}/client-key.pem`;
const BROKERS = ['127.0.0.1:9094'];
const sasl = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
  KAFKA_SASL_USERNAME: 'omnia',
  KAFKA_SASL_PASSWORD: 'the-password',
  KAFKA_SSL_CA_FILE: CA,
};

t.test('unset: PLAINTEXT, nothing added to the clients', async (t) => {
  t.same(loadKafkaSecurity({}), PLAINTEXT);
  t.same(kafkaConnection(BROKERS, {}), {});
});

t.test('SASL_SSL with SCRAM: the CA read once, the credentials, no SNI for an IP address', async (t) => {
  const options = kafkaConnection(BROKERS, sasl);
  t.same(options.sasl, { mechanism: 'SCRAM-SHA-256', username: 'omnia', password: 'the-password' });
  t.equal(options.tls?.ca, readFileSync(CA, 'utf8'));
  t.equal(options.tls?.rejectUnauthorized, true);
  t.equal(options.tlsServerName, undefined);
  t.equal(kafkaConnection(['kafka-0.kafka.svc:9093'], sasl).tlsServerName, true, 'a host name is sent for SNI');
  t.same(
    kafkaConnection(BROKERS, { ...sasl, KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_MECHANISM: 'scram-sha-512' }).sasl?.mechanism,
    'SCRAM-SHA-512',
    'any case',
  );
  const ssl = kafkaConnection(BROKERS, {
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CA_FILE: CA,
    KAFKA_SSL_CERT_FILE: CERT,
    KAFKA_SSL_KEY_FILE: KEY,
  });
  t.equal(ssl.sasl, undefined, 'SSL: no SASL');
  t.equal(ssl.tls?.cert, readFileSync(CERT, 'utf8'));
  t.equal(ssl.tls?.key, readFileSync(KEY, 'utf8'));
  const encrypted = kafkaConnection(BROKERS, {
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CERT_FILE: CERT,
    KAFKA_SSL_KEY_FILE: `${FIXTURES}/client-key-encrypted.pem`,
    KAFKA_SSL_KEY_PASSWORD: 'key-passphrase',
  });
  t.equal(encrypted.tls?.passphrase, 'key-passphrase', 'an encrypted key with its passphrase');
  t.equal(kafkaConnection(BROKERS, { ...sasl, KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).tls?.rejectUnauthorized, false);
  t.equal(kafkaConnection(BROKERS, { ...sasl, KAFKA_SSL_CA_FILE: '' }).tls?.ca, undefined, 'no CA file: Node’s public CAs');
});

t.test('what cannot work is refused, naming the settings', async (t) => {
  const refused = (env: Record<string, string>, message: RegExp, why: string) =>
    t.throws(() => kafkaConnection(BROKERS, env), message, why);
  refused(
    { ...sasl, KAFKA_SASL_PASSWORD: '' },
    /KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_PASSWORD: the password of Kafka user "omnia"/,
    'SASL without a password',
  );
  refused({ ...sasl, KAFKA_SASL_USERNAME: '' }, /needs KAFKA_SASL_USERNAME/, 'SASL without a user');
  refused(
    { KAFKA_SASL_USERNAME: 'omnia', KAFKA_SASL_PASSWORD: 'x' },
    /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT signs in as nobody/,
    'credentials that would not be used',
  );
  refused(
    { KAFKA_SSL_CA_FILE: CA },
    /KAFKA_SSL_CA_FILE is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS/,
    'a CA without TLS',
  );
  refused(
    { ...sasl, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SSL_CA_FILE: '', KAFKA_SASL_MECHANISM: 'PLAIN' },
    /KAFKA_SASL_MECHANISM=PLAIN sends the password itself/,
    'PLAIN without TLS',
  );
  refused(
    { ...sasl, KAFKA_SSL_CERT_FILE: CERT },
    /KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/,
    'a certificate without its key',
  );
  refused({ ...sasl, KAFKA_SSL_CA_FILE: `${FIXTURES}/missing.pem` }, /KAFKA_SSL_CA_FILE: cannot read .*missing\.pem/, 'a missing file');
  refused({ ...sasl, KAFKA_SSL_CA_FILE: KEY }, /KAFKA_SSL_CA_FILE: .* holds no PEM certificate/, 'a key where the CA goes');
  refused(
    { ...sasl, KAFKA_SSL_CERT_FILE: CERT, KAFKA_SSL_KEY_FILE: `${FIXTURES}/other-key.pem` },
    /KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE .* cannot be used for TLS/,
    'a key that does not fit the certificate',
  );
  refused(
    { ...sasl, KAFKA_SSL_CERT_FILE: CERT, KAFKA_SSL_KEY_FILE: `${FIXTURES}/client-key-encrypted.pem`, KAFKA_SSL_KEY_PASSWORD: 'wrong' },
    /cannot be used for TLS/,
    'a wrong passphrase',
  );
  refused(
    { KAFKA_SECURITY_PROTOCOL: 'TLS' },
    /KAFKA_SECURITY_PROTOCOL must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, got "TLS"/,
    'an unknown protocol',
  );
  refused(
    { ...sasl, KAFKA_SASL_MECHANISM: 'GSSAPI' },
    /KAFKA_SASL_MECHANISM must be one of SCRAM-SHA-256, SCRAM-SHA-512, PLAIN/,
    'an unsupported mechanism',
  );
});

t.test('printed without secrets', async (t) => {
  t.equal(describeKafkaSecurity(loadKafkaSecurity(sasl)), `SASL_SSL, SCRAM-SHA-256 as omnia, trusting ${CA}`);
  const config = describeCurrent({ ...sasl, KAFKA_SSL_KEY_PASSWORD: 'key-secret' });
  t.notOk(config.includes('the-password') || config.includes('key-secret'), 'omnia config redacts the password and passphrase');
  t.match(config, /KAFKA_SASL_PASSWORD\s+\(set, redacted\)/);
});

t.test('the client’s refusals, as one sentence naming what to look at', async (t) => {
  // Shaped as @platformatic/kafka nests them: MultipleErrors → NetworkError → the cause.
  const nested = (cause: object) => ({
    code: 'PLT_KFK_MULTIPLE',
    message: 'metadata failed 6 times.',
    errors: [{ code: 'PLT_KFK_MULTIPLE', errors: [{ code: 'PLT_KFK_NETWORK', message: 'Connection to 127.0.0.1:9094 failed.', cause }] }],
  });
  const security = loadKafkaSecurity(sasl);
  const explain = (cause: object, config = security) => explainKafkaFailure(nested(cause), config, BROKERS);
  t.match(
    explain({ code: 'PLT_KFK_AUTHENTICATION', message: 'SASL authentication failed.' }),
    /refused the credentials of user "omnia" \(SCRAM-SHA-256\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
  );
  t.match(
    explain({ code: 'PLT_KFK_AUTHENTICATION', message: 'Cannot find a suitable SASL mechanism.' }),
    /does not offer SASL mechanism SCRAM-SHA-256: set KAFKA_SASL_MECHANISM/,
  );
  t.match(
    explain({ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }),
    /not trusted .*set KAFKA_SSL_CA_FILE/,
  );
  t.match(
    explain({ code: 'PLT_KFK_USER', message: 'TLS handshake failed. Please verify the broker supports TLS.' }),
    /does not speak TLS on that port/,
  );
  t.match(
    explain({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
    /nothing accepts connections at 127\.0\.0\.1:9094: check KAFKA_BROKERS/,
  );
  t.match(
    explain({ code: 'PLT_KFK_NETWORK', message: 'Connection closed' }, PLAINTEXT),
    /closed the connection at once: its listener may expect TLS or SASL/,
  );
  t.equal(
    explainKafkaFailure(new Error('connect ECONNREFUSED 127.0.0.1:5432'), security, BROKERS),
    undefined,
    'not the Kafka client’s error',
  );
});
