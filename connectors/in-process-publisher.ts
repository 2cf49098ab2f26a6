/**
 * The webhook ingress's publisher for the embedded default: an accepted event is handed to the in-process
 * pipeline, and the partner's 202 waits until the pipeline has processed it — the embedded counterpart of
 * "acknowledged by Kafka". Nothing survives the process, which is what the embedded default promises.
 */
import type { PublishRecord, Readiness, WebhookPublisher } from './webhook-publisher.js';

export class InProcessPublisher implements WebhookPublisher {
  private closed = false;

  constructor(private readonly deliver: (record: PublishRecord) => Promise<{ partition: number }>) {}

  publish(record: PublishRecord): Promise<{ partition: number }> {
    if (this.closed) return Promise.reject(new Error('publisher closed'));
    return this.deliver(record);
  }

  readiness(): Readiness {
    return this.closed ? { ready: false, reason: 'publisher closed' } : { ready: true };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
