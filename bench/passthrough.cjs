#!/usr/bin/env node
'use strict';
// Pass-through baseline: the consume -> transactional produce path of
// services/scrubber/src/kafka/scrubber-pipeline.ts with the same kafkajs settings (consumer
// options, one transactional producer per input partition with the same retry/in-flight/timeout
// settings, chunks of limits.maxBatchRecords, outputs sent in 512 KB slices, sendOffsets + commit
// per chunk, committed offset re-read on a fresh producer), but no decode, no scan, no audit:
// every record is copied to the output topic, same partition, key and headers, plus the
// `sluice-source` header the scrubber adds (the latency bench maps outputs back through it).
//   node bench/passthrough.cjs <config.json>   (run as a child of bench/run.cjs; IPC 'sluice-started')
const fs = require('node:fs');
// The scrubber mends kafkajs before it loads (services/scrubber/src/kafka/kafkajs-mends.ts: linear
// per-partition grouping, the corrected read_committed filter, the one-buffer record encoder);
// the baseline gets the same kafkajs, or the comparison would credit Sluice with kafkajs fixes.
require('../services/scrubber/dist/kafka/kafkajs-mends.js');
const { Kafka, Partitioners, logLevel } = require('kafkajs');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// Same client settings as kafkaConfigFrom() with the config defaults.
const kafka = new Kafka({
  clientId: 'sluice-passthrough',
  brokers: cfg.brokers,
  connectionTimeout: 10_000,
  requestTimeout: 30_000,
  logLevel: logLevel.NOTHING,
  retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
});
const SLICE_BYTES = 512 * 1024;
const producers = new Map();
const committed = new Map();
const locks = new Map();
let admin;
let consumer;

async function producerFor(partition) {
  let p = producers.get(partition);
  if (p) return { producer: p, fresh: false };
  // As PartitionProducers.get().
  p = kafka.producer({
    transactionalId: `${cfg.idPrefix}-${cfg.topic}-${partition}`,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: cfg.transactionTimeoutMs,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 25, retries: 12, maxRetryTime: 3_000 },
  });
  await p.connect();
  producers.set(partition, p);
  return { producer: p, fresh: true };
}

async function fetchCommitted(partition) {
  const res = await admin.fetchOffsets({ groupId: cfg.groupId, topics: [cfg.topic] });
  const p = res[0]?.partitions.find((x) => x.partition === partition);
  const off = p ? BigInt(p.offset) : -1n;
  return off < 0n ? 0n : off;
}

function messageBytes(m) {
  let n = 80 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, v] of Object.entries(m.headers)) n += name.length + Buffer.byteLength(v);
  return n;
}

async function processChunk(partition, chunk, resolveOffset) {
  const { producer, fresh } = await producerFor(partition);
  if (fresh) committed.delete(partition);
  const txn = await producer.transaction();
  try {
    if (!committed.has(partition)) committed.set(partition, await fetchCommitted(partition));
    const from = committed.get(partition);
    const todo = chunk.filter((m) => BigInt(m.offset) >= from);
    if (todo.length === 0) {
      await txn.abort();
      resolveOffset(chunk[chunk.length - 1].offset);
      return;
    }
    const outputs = todo.map((m) => ({
      partition,
      key: m.key,
      value: m.value,
      headers: { ...m.headers, 'sluice-source': Buffer.from(`${cfg.topic}/${partition}/${m.offset}`) },
    }));
    for (let start = 0; start < outputs.length;) {
      let end = start;
      let bytes = 0;
      while (end < outputs.length) {
        const b = messageBytes(outputs[end]);
        if (end > start && bytes + b > SLICE_BYTES) break;
        bytes += b;
        end++;
      }
      await txn.sendBatch({
        topicMessages: [{ topic: cfg.outputTopic, messages: outputs.slice(start, end) }],
        acks: -1,
      });
      start = end;
    }
    const next = (BigInt(todo[todo.length - 1].offset) + 1n).toString();
    await txn.sendOffsets({
      consumerGroupId: cfg.groupId,
      topics: [{ topic: cfg.topic, partitions: [{ partition, offset: next }] }],
    });
    await txn.commit();
    committed.set(partition, BigInt(next));
    resolveOffset(chunk[chunk.length - 1].offset);
  } catch (err) {
    try {
      await txn.abort();
    } catch {
      // The producer is dropped; the broker aborts on the next InitProducerId.
    }
    producers.delete(partition);
    committed.delete(partition);
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

async function main() {
  admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  if (!existing.has(cfg.outputTopic)) {
    const meta = await admin.fetchTopicMetadata({ topics: [cfg.topic] });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: cfg.outputTopic,
          numPartitions: meta.topics[0].partitions.length,
          configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }],
        },
      ],
    });
  }
  // As ScrubberPipeline.start() with the config defaults.
  consumer = kafka.consumer({
    groupId: cfg.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 60_000,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 500,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 300 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: cfg.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: cfg.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) => {
      // As the scrubber: not fetched again while its batch runs (kafkajs-fetch-ahead).
      const resume = pause();
      try {
        const max = cfg.maxBatchRecords;
        for (let start = 0; start < batch.messages.length; start += max) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(start, start + max);
          const prev = locks.get(batch.partition) ?? Promise.resolve();
          const run = prev.then(() => processChunk(batch.partition, chunk, resolveOffset));
          locks.set(
            batch.partition,
            run.catch(() => undefined),
          );
          await run;
          await heartbeat();
        }
      } finally {
        resume();
      }
    },
  });
  process.send?.({ type: 'sluice-started', httpPort: 0 });
}

async function shutdown() {
  try {
    await consumer?.disconnect();
    await Promise.all([...producers.values()].map((p) => p.disconnect()));
    await admin?.disconnect();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
main().catch((err) => {
  process.stderr.write(`passthrough failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
