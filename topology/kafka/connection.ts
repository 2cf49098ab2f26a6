/**
 * The Kafka security settings of this process (settings/registry.ts, section `kafka`), checked together and
 * turned into the clients' connection options: what `PlatformaticClient` gives every client it makes.
 */
import { kafkaSecuritySettings } from '../../settings/registry.js';
import { loadSettings } from '../../settings/setting.js';
import { checkKafkaSecurity, connectionOptions, type KafkaConnectionOptions, type KafkaSecurityConfig } from './security.js';

export function loadKafkaSecurity(env: NodeJS.ProcessEnv = process.env): KafkaSecurityConfig {
  return checkKafkaSecurity(loadSettings(kafkaSecuritySettings, {}, env));
}

/** The `tls` / `sasl` options for `brokers` from the environment; throws, naming the setting, when they cannot work. */
export function kafkaConnection(brokers: readonly string[], env: NodeJS.ProcessEnv = process.env): KafkaConnectionOptions {
  return connectionOptions(loadKafkaSecurity(env), brokers);
}
