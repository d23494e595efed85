'use strict';
// Memory under sustained load: a rate-limited producer cycles through pre-generated chat and
// keystroke records (kafkajs stamps the send time, which is the event time the hold-back uses);
// the scrubber's RSS (/proc), heap and held-state gauges (/metrics) are sampled. After a warm-up
// (first 20% of the run), RSS is flat when the median of the last 20% and every later sample
// stay within 10% of the median of the 20-40% window.
const { Partitioners } = require('kafkajs');
const { sleep, log, partitionFor, median } = require('./common.cjs');
const { metricSum } = require('./children.cjs');

async function memoryRun({ kafka, child, streams, partitions, seconds, sampleEveryMs = 5000, load }) {
  await child.start();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const samples = [];
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const pos = streams.map(() => 0);
  const produced = streams.map(() => 0);
  let nextSample = t0;
  try {
    while (Date.now() < end) {
      const elapsed = (Date.now() - t0) / 1000;
      const sends = [];
      streams.forEach((s, i) => {
        const due = Math.floor(elapsed * s.rate) - produced[i];
        if (due <= 0) return;
        const messages = [];
        for (let k = 0; k < due; k++) {
          const r = s.records[pos[i]];
          pos[i] = (pos[i] + 1) % s.records.length;
          messages.push({
            key: r.key,
            value: r.value,
            headers: r.headers,
            partition: partitionFor(r.key, partitions),
          });
        }
        produced[i] += due;
        sends.push(producer.send({ topic: s.topic, messages, acks: -1 }));
      });
      await Promise.all(sends);
      if (Date.now() >= nextSample) {
        nextSample += sampleEveryMs;
        const p = child.sample();
        let m = '';
        try {
          m = await child.metrics();
        } catch {
          // a missed scrape leaves gauges empty for this sample
        }
        samples.push({
          t: Math.round((Date.now() - t0) / 1000),
          rssMb: Number((p?.rssMb ?? 0).toFixed(1)),
          rssAnonMb: Number((p?.rssAnonMb ?? 0).toFixed(1)),
          rssFileMb: Number((p?.rssFileMb ?? 0).toFixed(1)),
          heapUsedMb: Number((metricSum(m, 'sluice_nodejs_heap_size_used_bytes') / 1048576).toFixed(1)),
          // What RSS is made of besides the main isolate's live heap: its committed heap, and
          // memory outside V8 heaps (Buffers: fetched and produced batches); the scan workers' heaps.
          heapTotalMb: Number((metricSum(m, 'sluice_nodejs_heap_size_total_bytes') / 1048576).toFixed(1)),
          externalMb: Number((metricSum(m, 'sluice_nodejs_external_memory_bytes') / 1048576).toFixed(1)),
          workerHeapUsedMb: Number((metricSum(m, 'sluice_worker_heap_used_bytes') / 1048576).toFixed(1)),
          workerHeapTotalMb: Number((metricSum(m, 'sluice_worker_heap_total_bytes') / 1048576).toFixed(1)),
          heldKeystrokes: metricSum(m, 'sluice_keystroke_held_events'),
          lag: metricSum(m, 'sluice_consumer_lag_records'),
          records: metricSum(m, 'sluice_records_total'),
          cpuSec: Number((p?.cpuSec ?? 0).toFixed(1)),
        });
        load?.sample();
        if (child.exited)
          throw new Error(`${child.label} exited during the memory run (log ${child.logFile})`);
      }
      await sleep(20);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await child.stop();
  }
  const rss = windowsOf(samples, 'rssMb');
  const { afterWarmup: base, final, maxAfterWarmup: maxAfter } = rss;
  const heap = windowsOf(samples, 'heapUsedMb');
  const res = {
    seconds,
    rates: Object.fromEntries(streams.map((s) => [s.name, s.rate])),
    produced: Object.fromEntries(streams.map((s, i) => [s.name, produced[i]])),
    rssMb: rss,
    rssGrowthPct: Number((((final - base) / base) * 100).toFixed(1)),
    rssMaxOverBasePct: Number((((maxAfter - base) / base) * 100).toFixed(1)),
    heapUsedMb: { afterWarmup: heap.afterWarmup, final: heap.final },
    heapTotalMb: windowsOf(samples, 'heapTotalMb'),
    externalMb: windowsOf(samples, 'externalMb'),
    workerHeapTotalMb: windowsOf(samples, 'workerHeapTotalMb'),
    rssAnonMb: windowsOf(samples, 'rssAnonMb'),
    rssFileMb: windowsOf(samples, 'rssFileMb'),
    heldKeystrokes: {
      max: Math.max(...samples.map((s) => s.heldKeystrokes)),
      final: samples.at(-1)?.heldKeystrokes,
    },
    lagFinal: samples.at(-1)?.lag,
    flat: final <= base * 1.1 && maxAfter <= base * 1.1,
    samples,
  };
  log(
    `  memory: RSS ${base} -> ${final} MB (${res.rssGrowthPct}%, max +${res.rssMaxOverBasePct}%), heap ${heap.afterWarmup} -> ${heap.final} MB, held max ${res.heldKeystrokes.max}, flat: ${res.flat}`,
  );
  return res;
}

/**
 * One sampled gauge after the warm-up (the first 20% of the run): the median of the 20-40% window,
 * the median of the last 20%, and the highest sample; and the highest sample of the warm-up. Null
 * when the gauge was never sampled.
 */
function windowsOf(samples, key) {
  if (!samples.some((s) => s[key] !== undefined)) return null;
  const n = samples.length;
  const win = (a, b) => samples.slice(Math.floor(n * a), Math.max(Math.floor(n * a) + 1, Math.floor(n * b)));
  return {
    afterWarmup: median(win(0.2, 0.4).map((s) => s[key])),
    final: median(win(0.8, 1).map((s) => s[key])),
    maxAfterWarmup: Math.max(...samples.slice(Math.floor(n * 0.2)).map((s) => s[key])),
    maxWarmup: Math.max(...samples.slice(0, Math.max(1, Math.floor(n * 0.2))).map((s) => s[key])),
  };
}

module.exports = { memoryRun };
