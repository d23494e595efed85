import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { ErrorCodes, SluiceError } from '../errors';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers: KafkaMessage['headers'];
}

export interface ReadTopicsOptions {
  topics: string[];
  /** Only these partitions of a topic (default: all). */
  partitions?: Record<string, number[]>;
  /** Start offset per `topic:partition` (default: the beginning). */
  startOffsets?: Record<string, string>;
  /** Consumer group id prefix; the reader adds a random suffix (ACLs grant the prefix). */
  groupPrefix: string;
  /** Called in offset order per partition; return true to stop reading early. */
  onMessage: (m: ReadMessage) => boolean | void;
  /** Give up after this long (default 60 s). */
  deadlineMs?: number;
}

/**
 * Reads topics read_committed from their start (or given offsets) up to the end offsets seen when
 * the read began, then stops: a bounded scan for the review CLI (quarantine, audit, data keys).
 * kafkajs has no assign(); a throwaway group with a random suffix of `groupPrefix` stands in,
 * and never commits. Progress counts transaction markers and aborted records too
 * (END_BATCH_PROCESS reports them), so a partition ending with a commit marker still completes.
 */
export async function readTopics(
  kafka: Kafka,
  opts: ReadTopicsOptions,
): Promise<{ read: number; stoppedEarly: boolean }> {
  const admin = kafka.admin();
  await admin.connect();
  const targets = new Map<string, bigint>(); // topic:partition -> end offset (exclusive)
  const starts = new Map<string, bigint>();
  const unwanted: Array<{ topic: string; partitions: number[] }> = [];
  try {
    for (const topic of opts.topics) {
      let offsets: Array<{ partition: number; offset: string; high: string; low: string }>;
      try {
        offsets = await admin.fetchTopicOffsets(topic);
      } catch (err) {
        throw new SluiceError(
          ErrorCodes.KAFKA,
          `cannot read offsets of ${topic}: ${(err as Error).message}`,
          {
            hint: 'check the topic name and that this principal may DESCRIBE and READ it (sluice acl apply)',
            cause: err,
          },
        );
      }
      const only = opts.partitions?.[topic];
      const skip: number[] = [];
      for (const p of offsets) {
        if (only && !only.includes(p.partition)) {
          skip.push(p.partition);
          continue;
        }
        const k = `${topic}:${p.partition}`;
        const start = opts.startOffsets?.[k] !== undefined ? BigInt(opts.startOffsets[k]!) : BigInt(p.low);
        const end = BigInt(p.high);
        if (start < end) {
          targets.set(k, end);
          starts.set(k, start);
        } else skip.push(p.partition);
      }
      if (skip.length > 0) unwanted.push({ topic, partitions: skip });
    }
  } finally {
    await admin.disconnect();
  }
  if (targets.size === 0) return { read: 0, stoppedEarly: false };

  const consumer = kafka.consumer({
    groupId: `${opts.groupPrefix}-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    allowAutoTopicCreation: false,
  });
  const pending = new Set(targets.keys());
  let read = 0;
  let stoppedEarly = false;
  let failure: Error | null = null;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const advance = (k: string, lastOffset: string) => {
    const end = targets.get(k);
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) pending.delete(k);
    if (pending.size === 0) finish();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) =>
    advance(`${e.payload.topic}:${e.payload.partition}`, e.payload.lastOffset),
  );
  consumer.on(consumer.events.CRASH, (e) => {
    failure = e.payload.error;
    finish();
  });
  const timer = setTimeout(() => {
    failure = new SluiceError(
      ErrorCodes.KAFKA,
      `reading ${opts.topics.join(', ')} did not reach the end offsets in time`,
      {
        hint: 'an open transaction may hold back read_committed reads; retry, or raise --deadline',
        retriable: true,
      },
    );
    finish();
  }, opts.deadlineMs ?? 60_000);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: opts.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const k = `${batch.topic}:${batch.partition}`;
        const start = starts.get(k);
        if (start === undefined || !pending.has(k)) return;
        const end = targets.get(k)!;
        for (const m of batch.messages) {
          const off = BigInt(m.offset);
          if (off < start) continue;
          if (off >= end) break;
          read++;
          const stop = opts.onMessage({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            headers: m.headers,
          });
          if (stop === true) {
            stoppedEarly = true;
            finish();
            return;
          }
        }
      },
    });
    if (unwanted.length > 0) consumer.pause(unwanted);
    // Jump straight to the wanted offsets; records below them that arrive first are skipped above.
    for (const [k, start] of starts) {
      const i = k.lastIndexOf(':');
      consumer.seek({ topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset: start.toString() });
    }
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  if (failure) throw failure;
  return { read, stoppedEarly };
}
