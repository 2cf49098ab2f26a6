import type { AdminClient, GroupConsumer, GroupConsumerOptions, KafkaClient, PartitionReader, Producer } from './client.js';
import { PlatformaticAdmin } from './platformatic-admin.js';
import { PlatformaticGroupConsumer } from './platformatic-group-consumer.js';
import { PlatformaticProducer } from './platformatic-producer.js';
import { PlatformaticReader } from './platformatic-reader.js';

/** @platformatic/kafka: pure JavaScript, KIP-447 transactional offset commits, static membership. */
export class PlatformaticClient implements KafkaClient {
  readonly name = 'platformatic';

  constructor(
    private readonly bootstrapBrokers: string[],
    private readonly clientId: string,
  ) {}

  admin(): AdminClient {
    return new PlatformaticAdmin(this.bootstrapBrokers, this.clientId);
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new PlatformaticGroupConsumer(this.bootstrapBrokers, this.clientId, options);
  }

  producer(options: { transactionalId?: string; transactionTimeoutMs?: number }): Producer {
    return new PlatformaticProducer(this.bootstrapBrokers, this.clientId, options);
  }

  partitionReader(): PartitionReader {
    return new PlatformaticReader(this.bootstrapBrokers, this.clientId);
  }
}
