'use strict';
// Shared plumbing of `npm run bench`: paths, the bench's own broker, kafkajs clients, topics,
// fast seeding, and /proc sampling of child processes. Plain CommonJS (no build step).
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'services', 'scrubber', 'dist');
// The bench's own clients (seeding, the paced producer, the latency reader) run on the 2 cores
// the measured children use: without this mend every connection of theirs wakes up every 1 ms
// (kafkajs #1751). Only this mend: the other ones change what kafkajs does, not what it costs, and
// the bench's reader stays the stock kafkajs reader it has always been.
require(path.join(DIST, 'kafka', 'kafkajs-request-queue-timer.js'));
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const CLI = path.join(DIST, 'cli', 'main.js');
const RESULTS = path.join(ROOT, 'bench', 'results');
const broker = require(path.join(ROOT, 'scripts', 'kafka', 'local-broker.cjs'));

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // Linux default; only used to turn /proc ticks into seconds.
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const suffix = () => crypto.randomBytes(4).toString('hex');

function kafkaClient(brokers, clientId) {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

async function createTopics(admin, names, partitions) {
  await admin.createTopics({
    waitForLeaders: true,
    topics: names.map((topic) => ({
      topic,
      numPartitions: partitions,
      configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }],
    })),
  });
}

/** FNV-1a of the key, mod partitions: records of one conversation/session share a partition. */
function partitionFor(key, partitions) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/**
 * Produces records as fast as the broker takes them (acks=all, several requests in flight,
 * requests capped at ~900 KB). Returns the bytes produced (key + value).
 */
async function seed(kafka, topic, records, partitions) {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  let bytes = 0;
  try {
    const inFlight = new Set();
    let batch = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const messages = batch;
      batch = [];
      batchBytes = 0;
      const p = producer.send({ topic, messages, acks: -1 }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    };
    for (const r of records) {
      const b = r.key.length + r.value.length;
      bytes += b;
      batch.push({
        key: r.key,
        value: r.value,
        headers: r.headers,
        partition: partitionFor(r.key, partitions),
      });
      batchBytes += b;
      if (batch.length >= 2000 || batchBytes >= 900 * 1024) await flush();
    }
    await flush();
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return bytes;
}

/** Sum over partitions of the high watermarks. */
async function highWatermark(admin, topic) {
  const offs = await admin.fetchTopicOffsets(topic);
  return offs.reduce((a, o) => a + Number(o.high), 0);
}

/** Sum over partitions of the group's committed offsets (0 where none). */
async function committedTotal(admin, groupId, topic) {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  let n = 0;
  for (const p of res[0]?.partitions ?? []) n += Math.max(0, Number(p.offset));
  return n;
}

/** utime + stime in seconds from a /proc stat line (fields 14, 15; the name may hold spaces). */
function statCpuSec(stat) {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/**
 * CPU seconds (user+system, all threads), current and peak RSS of a live process, and RSS split
 * into anonymous memory (V8 heaps, malloc, stacks) and file-backed pages (code), from /proc.
 */
function procSample(pid) {
  try {
    const cpuSec = statCpuSec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number((status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) ?? [])[1] ?? 0);
    return {
      cpuSec,
      rssMb: kb('VmRSS') / 1024,
      peakRssMb: kb('VmHWM') / 1024,
      rssAnonMb: kb('RssAnon') / 1024,
      rssFileMb: kb('RssFile') / 1024,
    };
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process's threads, grouped by thread name: `main` (the event loop),
 * `scan` (sluice-scan-N pool workers), `v8` (V8's GC and compiler helpers), `libuv`
 * (the fs / crypto / zlib pool) and `other`.
 */
function threadSample(pid) {
  const out = { main: 0, scan: 0, v8: 0, libuv: 0, other: 0 };
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const t of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const sec = statCpuSec(stat);
      const group =
        t === String(pid)
          ? 'main'
          : name.startsWith('sluice-scan')
            ? 'scan'
            : name.startsWith('V8') || name.startsWith('DelayedTask')
              ? 'v8'
              : name.startsWith('libuv')
                ? 'libuv'
                : 'other';
      out[group] += sec;
    } catch {
      // the thread ended between readdir and read: its CPU is gone from the process total too
    }
  }
  return out;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: `${cpus.length} x ${cpus[0]?.model ?? 'unknown'}`,
    memGb: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: broker.DEFAULT_VERSION,
    kafkajs: require('kafkajs/package.json').version,
  };
}

/** Load average sampler: call sample() during runs, summary() at the end. */
function loadTracker() {
  const samples = [];
  return {
    sample: () => samples.push(os.loadavg()[0]),
    summary: () => {
      if (samples.length === 0) return null;
      const s = [...samples].sort((a, b) => a - b);
      return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], samples: s.length };
    },
  };
}

/** Median of unsorted numbers (the upper middle of an even count), or null when empty. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

module.exports = {
  ROOT,
  DIST,
  CLI,
  RESULTS,
  broker,
  sleep,
  log,
  suffix,
  kafkaClient,
  createTopics,
  partitionFor,
  seed,
  highWatermark,
  committedTotal,
  procSample,
  threadSample,
  machine,
  loadTracker,
  median,
  percentile,
};
