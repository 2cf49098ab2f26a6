import type { AdminClient, GroupConsumer, GroupConsumerOptions, KafkaClient, PartitionReader, Producer } from './client.js';
import { kafkaConnection } from './connection.js';
import { PlatformaticAdmin } from './platformatic-admin.js';
import { PlatformaticGroupConsumer } from './platformatic-group-consumer.js';
import { PlatformaticProducer } from './platformatic-producer.js';
import { PlatformaticReader } from './platformatic-reader.js';
import type { KafkaConnectionOptions } from './security.js';

/** @platformatic/kafka: pure JavaScript, KIP-447 transactional offset commits, static membership. */
export class PlatformaticClient implements KafkaClient {
  readonly name = 'platformatic';

  constructor(
    private readonly bootstrapBrokers: string[],
    private readonly clientId: string,
    /**
     * TLS and SASL of every client made here; default: the process's KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* and
     * KAFKA_SSL_* settings (topology/kafka/security.ts), read and checked now.
     */
    private readonly connection: KafkaConnectionOptions = kafkaConnection(bootstrapBrokers),
  ) {}

  admin(): AdminClient {
    return new PlatformaticAdmin(this.bootstrapBrokers, this.clientId, this.connection);
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new PlatformaticGroupConsumer(this.bootstrapBrokers, this.clientId, options, this.connection);
  }

  producer(options: { transactionalId?: string; transactionTimeoutMs?: number }): Producer {
    return new PlatformaticProducer(this.bootstrapBrokers, this.clientId, options, this.connection);
  }

  partitionReader(): PartitionReader {
    return new PlatformaticReader(this.bootstrapBrokers, this.clientId, this.connection);
  }
}
