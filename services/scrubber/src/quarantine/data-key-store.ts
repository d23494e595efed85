import type { Admin, Kafka } from 'kafkajs';
import type { SchemaRegistry } from '../codec/schema-registry';
import { decodeAvro } from '../codec/record-codec';
import { ErrorCodes, SluiceError } from '../errors';
import type { Logger } from '../log/logger';
import type { EncryptedPayload } from './payload-cipher';
import { readTopics } from '../security/topic-reader';

/**
 * The compacted topic that holds each quarantined payload's wrapped data key, keyed by envelope id
 * (crypto-shredding; docs/security.md). One partition: every writer and every shred tombstone then
 * address the same partition without knowing a partition count, and key records are ~200 bytes.
 * Compaction settings bound how long a shredded key can still sit in an old segment:
 * at most max.compaction.lag.ms (+ segment.ms for the active segment) before the cleaner drops the
 * value, and delete.retention.ms more for the tombstone itself.
 */
export const DATA_KEY_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.ms': String(60 * 60 * 1000),
  'max.compaction.lag.ms': String(24 * 60 * 60 * 1000),
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': String(24 * 60 * 60 * 1000),
};

/** Creates the data-key topic (compacted, one partition) when missing; validates it otherwise. */
export async function ensureDataKeyTopic(
  admin: Admin,
  opts: { topic: string; create: boolean; replicationFactor: number },
  logger: Logger,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  if (!existing.has(opts.topic)) {
    if (!opts.create) {
      throw new SluiceError(
        ErrorCodes.TOPIC_MISMATCH,
        `quarantine data-key topic ${opts.topic} does not exist`,
        {
          hint: 'create it with 1 partition and cleanup.policy=compact (see deploy/acl/README.md), or set topics.create: true',
        },
      );
    }
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: opts.topic,
            numPartitions: 1,
            replicationFactor: opts.replicationFactor,
            configEntries: Object.entries(DATA_KEY_TOPIC_CONFIG).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      logger.info({ topic: opts.topic }, 'created quarantine data-key topic (compacted)');
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'creating the data-key topic failed; validating what exists',
      );
    }
  }
  // A just-created topic can be unknown to the broker's metadata cache for a moment (KRaft
  // propagates it asynchronously, and kafkajs' waitForLeaders does not retry that case).
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [opts.topic] });
      if ((md.topics[0]?.partitions.length ?? 0) >= 1) return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new SluiceError(
          ErrorCodes.TOPIC_MISMATCH,
          `quarantine data-key topic ${opts.topic} is not available: ${(err as Error).message}`,
          {
            hint: 'check that it exists and that this principal may DESCRIBE it (sluice acl print)',
            retriable: true,
            cause: err,
          },
        );
      }
    }
    if (Date.now() > deadline)
      throw new SluiceError(
        ErrorCodes.TOPIC_MISMATCH,
        `quarantine data-key topic ${opts.topic} has no partitions`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DataKeyRecord {
  envelopeId: string;
  source: string;
  wrapped: EncryptedPayload;
}

/** The state of data keys, read from the topic: a record, or null once a tombstone shredded it. */
export type DataKeyIndex = Map<string, DataKeyRecord | null>;

/**
 * Reads the data-key topic to its end (read_committed); `wanted` only limits what is kept. It never
 * stops at the first hit: a tombstone written later for the same id must win.
 */
export async function readDataKeys(
  kafka: Kafka,
  registry: SchemaRegistry,
  topic: string,
  groupPrefix: string,
  wanted?: ReadonlySet<string>,
): Promise<DataKeyIndex> {
  const index: DataKeyIndex = new Map();
  await readTopics(kafka, {
    topics: [topic],
    groupPrefix,
    onMessage: (m) => {
      const id = m.key?.toString('utf8');
      if (!id || (wanted && !wanted.has(id))) return;
      if (m.value === null) {
        index.set(id, null);
        return;
      }
      const v = decodeAvro(registry, m.value).value as {
        envelopeId: string;
        source: string;
        keyId: string;
        alg: string;
        ephemeralPublicKey: Buffer;
        iv: Buffer;
        tag: Buffer;
        wrappedKey: Buffer;
      };
      index.set(id, {
        envelopeId: v.envelopeId,
        source: v.source,
        wrapped: {
          keyId: v.keyId,
          alg: v.alg,
          ephemeralPublicKey: v.ephemeralPublicKey,
          iv: v.iv,
          tag: v.tag,
          ciphertext: v.wrappedKey,
        },
      });
    },
  });
  return index;
}

/**
 * Shreds payloads: one tombstone per envelope id in the data-key topic (partition 0, acks=all,
 * idempotent). Once compaction has run, the wrapped key is gone and the payload is unreadable.
 */
export async function shredDataKeys(
  kafka: Kafka,
  topic: string,
  envelopeIds: readonly string[],
): Promise<number> {
  if (envelopeIds.length === 0) return 0;
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: envelopeIds.map((id) => ({ key: Buffer.from(id), value: null, partition: 0 })),
    });
  } finally {
    await producer.disconnect();
  }
  return envelopeIds.length;
}
