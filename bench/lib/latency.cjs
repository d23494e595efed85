'use strict';
// Added latency: a rate-limited producer stamps each record (message timestamp = send time) and
// remembers the send time by input coordinates (partition + offset from the produce response);
// a read_committed consumer on the outputs maps each output back through the `sluice-source`
// header and takes (time the committed output was read) - (send time). Records sent during the
// warm-up are not counted.
const { Partitioners } = require('kafkajs');
const { sleep, log, suffix, partitionFor, percentile } = require('./common.cjs');
const { stageBreakdown } = require('./children.cjs');

async function measureLatency({
  kafka,
  topic,
  partitions,
  child,
  outputTopics,
  next,
  rate,
  seconds,
  warmupSeconds = 3,
  cooldownSeconds = 3,
  load,
}) {
  await child.start();
  const sent = new Map();
  const lat = [];
  let received = 0;
  const consumer = kafka.consumer({
    groupId: `bench-lat-${suffix()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const tick = 10;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: outputTopics, fromBeginning: true });
    // The reader owns its partitions before the first record is produced.
    let joinTimer;
    const joined = new Promise((resolve, reject) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
      joinTimer = setTimeout(
        () => reject(new Error('latency reader did not join its group within 30 s')),
        30_000,
      );
    });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const src = m.headers?.['sluice-source'];
          if (!src) continue;
          const s = sent.get(String(src).slice(topic.length + 1));
          received++;
          if (s !== undefined) lat.push(now - s);
        }
      },
    });
    await joined.finally(() => clearTimeout(joinTimer));
    await producer.connect();
    const t0 = Date.now();
    const warmupEnd = t0 + warmupSeconds * 1000;
    const measureEnd = t0 + (warmupSeconds + seconds) * 1000;
    // Production goes on for a cool-down after the measured window, so the last measured records
    // are not the tail of a stream (a hold-back would wait for its timers there, not for successors).
    const end = measureEnd + cooldownSeconds * 1000;
    let produced = 0;
    let behind = 0;
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate) - produced;
      if (due > 0) {
        const msgs = [];
        for (let i = 0; i < due; i++) {
          const r = next();
          msgs.push({
            key: r.key,
            value: r.value,
            headers: r.headers,
            partition: partitionFor(r.key, partitions),
            timestamp: String(Date.now()),
          });
        }
        const at = Date.now();
        produced += due;
        const res = await producer.send({ topic, messages: msgs, acks: -1 });
        const count = new Map();
        for (const m of msgs) count.set(m.partition, (count.get(m.partition) ?? 0) + 1);
        if (at >= warmupEnd && at < measureEnd) {
          for (const r of res) {
            const base = Number(r.baseOffset);
            for (let i = 0; i < count.get(r.partition); i++) sent.set(`${r.partition}/${base + i}`, at);
          }
        }
        if (Date.now() - at > tick) behind++;
      }
      load?.sample();
      await sleep(tick);
    }
    const expected = sent.size;
    const until = Date.now() + 30_000;
    while (lat.length < expected && Date.now() < until) await sleep(100);
    lat.sort((a, b) => a - b);
    const stages = await stageBreakdown(child);
    const res = {
      rate,
      seconds,
      warmupSeconds,
      cooldownSeconds,
      measured: lat.length,
      expected,
      p50Ms: percentile(lat, 0.5),
      p90Ms: percentile(lat, 0.9),
      p99Ms: percentile(lat, 0.99),
      maxMs: lat.at(-1) ?? null,
      producerSlowSends: behind,
      peakRssMb: Math.round(child.sample()?.peakRssMb ?? 0),
      ...(stages ? { stages } : {}),
    };
    log(
      `  ${child.label} @ ${rate}/s: p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms (${res.measured}/${expected} measured, ${received} outputs read)${stages ? `; per batch (${stages.recordsPerBatch} records) ms: ${JSON.stringify(stages.meanMs)}` : ''}`,
    );
    return res;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    await child.stop();
  }
}

module.exports = { measureLatency };
