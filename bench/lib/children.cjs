'use strict';
// The processes under measurement: the real scrubber (`sluice run`, compiled) and the
// pass-through baseline, each a child process, so /proc gives their CPU and RSS alone.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { CLI, DIST, ROOT, log, sleep, procSample, suffix } = require('./common.cjs');

const { generateKeys } = require(path.join(DIST, 'cli', 'keys-command.js'));

let keys = null;
/** One key set per bench run (fingerprint key + quarantine key pair). */
function benchKeys() {
  if (keys) return keys;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-keys-'));
  generateKeys(dir);
  // The quarantine private key is in there: gone when the bench exits, however it exits.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  keys = {
    dir,
    publicKeyFile: path.join(dir, 'quarantine-public.pem'),
    fingerprintKey: fs.readFileSync(path.join(dir, 'fingerprint.key'), 'utf8').trim(),
  };
  return keys;
}

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

/** Scrubber config for one measured run: fresh group, transactional ids and output topics. */
function scrubberConfig({ brokers, sources, workers, id = `bench-${suffix()}`, extra = {} }) {
  return {
    instanceId: id,
    kafka: { brokers },
    // BENCH_CONCURRENCY: group.partitionsConsumedConcurrently of both processes (default 8, as the config).
    group: { id: `sluice-${id}`, partitionsConsumedConcurrently: CONCURRENCY },
    transactions: { idPrefix: `sluice-${id}` },
    sources: sources.map((s) => ({
      name: s.name,
      topic: s.topic,
      kind: s.kind,
      outputs: {
        clean: `clean.${s.name}.${id}`,
        redacted: `redacted.${s.name}.${id}`,
        quarantine: `quarantine.${s.name}.${id}`,
      },
    })),
    auditTopic: `sluice.audit.${id}`,
    scan: { workers },
    http: { port: 0 },
    log: { level: 'warn' },
    ...extra,
  };
}

class Child {
  constructor(kind, args, env, label) {
    this.kind = kind;
    this.label = label;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-bench-${kind}-`));
    this.logFile = path.join(this.dir, 'child.log');
    this.args = args;
    this.env = env;
    this.exited = null;
    this.httpPort = 0;
  }

  async start(deadlineMs = 90_000) {
    const out = fs.openSync(this.logFile, 'a');
    const [file, ...rest] = this.args;
    this.child = fork(file, rest, {
      stdio: ['ignore', out, out, 'ipc'],
      env: this.env,
      ...(BENCH_NODE_ARGS.length > 0 ? { execArgv: BENCH_NODE_ARGS } : {}),
    });
    fs.closeSync(out);
    this.pid = this.child.pid;
    let started = false;
    this.child.on('message', (m) => {
      if (m?.type === 'sluice-started') {
        started = true;
        this.httpPort = m.httpPort ?? 0;
      }
    });
    this.child.on('exit', (code, signal) => (this.exited = { code, signal }));
    const until = Date.now() + deadlineMs;
    while (!started && !this.exited && Date.now() < until) await sleep(50);
    if (!started) {
      const tail = fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-5).join('\n');
      throw new Error(
        `${this.label} did not start (${JSON.stringify(this.exited)}); ${this.logFile}:\n${tail}`,
      );
    }
    this.startedAt = Date.now();
    return this;
  }

  sample() {
    return procSample(this.pid);
  }

  async metrics() {
    if (!this.httpPort) return '';
    const res = await globalThis.fetch(`http://127.0.0.1:${this.httpPort}/metrics`);
    return res.text();
  }

  /**
   * SIGTERM and wait for the exit (the scrubber drains in-flight transactions first). A clean
   * exit removes the child's directory (config and log); after a crash or a kill it is kept for
   * its log and its path printed.
   */
  async stop(deadlineMs = 45_000) {
    const crashed = this.exited !== null;
    if (!crashed) {
      this.child.kill('SIGTERM');
      const until = Date.now() + deadlineMs;
      while (!this.exited && Date.now() < until) await sleep(50);
      if (!this.exited) {
        this.child.kill('SIGKILL');
        while (!this.exited) await sleep(50);
      }
    }
    if (!crashed && this.exited.code === 0) fs.rmSync(this.dir, { recursive: true, force: true });
    else log(`${this.label} exited ${JSON.stringify(this.exited)}; its log is kept: ${this.logFile}`);
    return this.exited;
  }
}

/** Sum of a Prometheus series' samples whose line matches `filter` (label text). */
function metricSum(text, name, filter = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (filter && !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const STAGES = ['begin', 'analyse', 'holdback', 'produce', 'audit', 'commit'];

/** Mean ms per committed batch in each stage (sluice_batch_stage_seconds), null for the pass-through. */
async function stageBreakdown(child) {
  let m;
  try {
    m = await child.metrics();
  } catch {
    return null;
  }
  if (!m.includes('sluice_batch_stage_seconds')) return null;
  const batches = metricSum(m, 'sluice_batch_stage_seconds_count', 'stage="commit"');
  if (!batches) return null;
  const out = { batches, recordsPerBatch: null, meanMs: {} };
  for (const stage of STAGES) {
    const sum = metricSum(m, 'sluice_batch_stage_seconds_sum', `stage="${stage}"`);
    out.meanMs[stage] = Number(((sum / batches) * 1000).toFixed(2));
  }
  const records = metricSum(m, 'sluice_records_total');
  if (records) out.recordsPerBatch = Math.round(records / batches);
  return out;
}

/** BENCH_NODE_ARGS: node command-line flags of every measured child, for V8 flags NODE_OPTIONS refuses (e.g. --single-threaded-gc). */
const BENCH_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** BENCH_NODE_OPTIONS: node options of every measured child (scrubber and pass-through), e.g. GC flags. */
const BENCH_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '';

function childEnv({ brokers, nodeOptions }) {
  const k = benchKeys();
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  nodeOptions = [BENCH_NODE_OPTIONS, nodeOptions ?? ''].join(' ').trim();
  return {
    ...env,
    KAFKA_BROKERS: brokers.join(','),
    SLUICE_FINGERPRINT_KEY: k.fingerprintKey,
    SLUICE_QUARANTINE_PUBLIC_KEY_FILE: k.publicKeyFile,
    SLUICE_LOG_LEVEL: 'warn',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  };
}

function scrubber(config, { nodeOptions } = {}) {
  const c = new Child(
    'scrubber',
    [],
    childEnv({ brokers: config.kafka.brokers, nodeOptions }),
    `scrubber ${config.instanceId}`,
  );
  const file = path.join(c.dir, 'config.yaml');
  fs.writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
  c.args = [CLI, 'run', '--config', file];
  c.config = config;
  return c;
}

/** The pass-through baseline with the scrubber's defaults for chunking and concurrency. */
function passthrough({
  brokers,
  topic,
  partitionsConsumedConcurrently = CONCURRENCY,
  maxBatchRecords = 2000,
}) {
  const id = `bench-pt-${suffix()}`;
  const cfg = {
    brokers,
    topic,
    outputTopic: `passthrough.${id}`,
    groupId: `sluice-${id}`,
    idPrefix: `sluice-${id}`,
    transactionTimeoutMs: 60_000,
    partitionsConsumedConcurrently,
    maxBatchRecords,
  };
  const c = new Child('passthrough', [], childEnv({ brokers }), `passthrough ${id}`);
  const file = path.join(c.dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  c.args = [path.join(ROOT, 'bench', 'passthrough.cjs'), file];
  c.config = { group: { id: cfg.groupId }, outputs: [cfg.outputTopic] };
  return c;
}

module.exports = { scrubber, passthrough, scrubberConfig, metricSum, benchKeys, stageBreakdown };
