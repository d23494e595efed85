'use strict';
/**
 * Engine benchmark (issue #3 "What must be shown"): MB/s of chat message text (the chat `text`
 * field, ~1% positives) for
 *   - the engine in one thread, re2-native and re2-wasm, on the whole corpus and on its clean
 *     messages only (the clean path, target >= 100 MB/s per core);
 *   - the worker pool with 1 and 2 workers (whole corpus, batches of 512 records, 4 in flight);
 *   - a naive baseline: every rule's pattern run one by one through re2-wasm over each whole text
 *     (capped in time: it is slow).
 * Writes bench/results/engine.json and prints a Markdown table. Needs `npm run build`.
 * Usage: node bench/engine/run.cjs [--seconds 2] [--quick]
 * Machines here are shared: each figure is the best of a few short rounds, both as wall-clock MB/s
 * and as MB per CPU-second of this process (all its threads: process.cpuUsage), which is the
 * "per core" figure and is far less sensitive to other jobs on the machine.
 */
const { writeFileSync, mkdirSync } = require('node:fs');
const { availableParallelism, cpus } = require('node:os');
const { join } = require('node:path');
const { chatCorpus, DIST } = require('./corpus.cjs');

const { ScanEngine } = require(join(DIST, 'scan/engine.js'));
const { createRegexEngine, nativeRe2Available } = require(join(DIST, 'scan/regex-engine.js'));
const { WorkerPool } = require(join(DIST, 'scan/pool/index.js'));
const { generateCorpus } = require(join(DIST, 'eval/corpus-generator.js'));

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf('--seconds') + 1] || 0) || (args.includes('--quick') ? 0.6 : 1.5);
const ROUNDS = 3;
const KEY = Buffer.alloc(32, 7);
const ENGINES = nativeRe2Available() ? ['re2-native', 're2-wasm'] : ['re2-wasm'];

const corpus = chatCorpus(20000, 0.01, 7);
const mb = (bytes, s) => bytes / s / 1e6;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const best2 = (a, b) => ({ wall: Math.max(a.wall, b.wall), cpu: Math.max(a.cpu, b.cpu) });
const bytesOf = (texts) => texts.reduce((a, t) => a + Buffer.byteLength(t), 0);

/** Best MB/s over ROUNDS rounds of ~SECONDS/ROUNDS each, scanning `texts` in order. */
function measure(texts, scanOne) {
  const bytes = bytesOf(texts);
  for (let i = 0; i < Math.min(texts.length, 2000); i++) scanOne(texts[i]); // warm-up
  let best = { wall: 0, cpu: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = now();
    const c0 = cpuNow();
    let passes = 0;
    let done = 0;
    const deadline = t0 + SECONDS / ROUNDS;
    while (now() < deadline || passes === 0) {
      for (const t of texts) scanOne(t);
      done += bytes;
      passes++;
    }
    best = best2(best, { wall: mb(done, now() - t0), cpu: mb(done, cpuNow() - c0) });
  }
  return best;
}

/**
 * Chat and log lines of the eval generator (ISO timestamps, ids, hashes: digit and token anchors
 * fire far more than on chat text), 1% positives. Reported beside the chat figures for honesty,
 * with the digit-run pre-checks on and off.
 */
const logLines = generateCorpus({ seed: 11, lines: 20000, positiveRate: 0.01 }).map((l) => l.text);

function logCorpus(kind) {
  const on = ScanEngine.create({ fingerprintKey: KEY, regexEngine: kind });
  const off = ScanEngine.create({ fingerprintKey: KEY, regexEngine: kind, digitPrechecks: false });
  return {
    MBps: measure(logLines, (t) => on.scanText(t)),
    withoutDigitPrechecksMBps: measure(logLines, (t) => off.scanText(t)),
  };
}

function singleThread(kind) {
  const t0 = now();
  const engine = ScanEngine.create({ fingerprintKey: KEY, regexEngine: kind });
  const compileMs = Math.round((now() - t0) * 1000);
  let findings = 0;
  const clean = [];
  for (const t of corpus.texts) {
    const n = engine.scanText(t).length;
    findings += n;
    if (n === 0) clean.push(t);
  }
  return {
    rules: engine.rules.length,
    compileMs,
    findings,
    corpusMBps: measure(corpus.texts, (t) => engine.scanText(t)),
    cleanMBps: measure(clean, (t) => engine.scanText(t)),
  };
}

async function pool(kind, workers) {
  const p = await WorkerPool.create({ engineOptions: { fingerprintKey: KEY, regexEngine: kind }, workers });
  try {
    const batches = [];
    for (let i = 0; i < corpus.texts.length; i += 512) {
      batches.push(
        corpus.texts
          .slice(i, i + 512)
          .map((text) => ({ source: 'chat', texts: [{ path: 'value.text', text }] })),
      );
    }
    const batchBytes = batches.map((b) => bytesOf(b.map((r) => r.texts[0].text)));
    await Promise.all(batches.slice(0, 4).map((b) => p.scanBatch(b))); // warm-up
    let best = { wall: 0, cpu: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = now();
      const c0 = cpuNow();
      const deadline = t0 + SECONDS / ROUNDS;
      let done = 0;
      let next = 0;
      // Keep 4 batches in flight (the pool's default admission), like the pipeline does.
      const lane = async () => {
        while (now() < deadline || next < 4) {
          const i = next++ % batches.length;
          const res = await p.scanBatch(batches[i]);
          if (res.some((x) => !x.ok)) throw new Error('pool scan failed');
          done += batchBytes[i];
        }
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
      best = best2(best, { wall: mb(done, now() - t0), cpu: mb(done, cpuNow() - c0) });
    }
    return best;
  } finally {
    await p.close();
  }
}

/** Every rule's pattern over each whole text, one by one, through re2-wasm; stops after `cap` seconds. */
function naive(cap) {
  const engine = ScanEngine.create({ fingerprintKey: KEY, regexEngine: 're2-wasm' });
  const re = createRegexEngine('re2-wasm');
  const patterns = engine.rules.map((r) =>
    re.compile(r.spec.pattern, { caseInsensitive: r.spec.caseInsensitive, secretGroup: r.spec.secretGroup }),
  );
  const out = [];
  const t0 = now();
  const c0 = cpuNow();
  let bytes = 0;
  let texts = 0;
  let matches = 0;
  for (const t of corpus.texts) {
    for (const p of patterns) {
      out.length = 0;
      matches += p.execAll(t, out);
    }
    bytes += Buffer.byteLength(t);
    texts++;
    if ((texts & 63) === 0 && now() - t0 > cap) break;
  }
  const s = now() - t0;
  return {
    MBps: { wall: mb(bytes, s), cpu: mb(bytes, cpuNow() - c0) },
    texts,
    seconds: Number(s.toFixed(2)),
    rawMatches: matches,
  };
}

function re2Version() {
  try {
    return require(join(DIST, '../../../node_modules/re2/package.json')).version;
  } catch {
    return null;
  }
}

async function main() {
  const rows = [];
  const single = {};
  for (const kind of ENGINES) {
    single[kind] = singleThread(kind);
    rows.push([`engine, 1 thread`, kind, single[kind].corpusMBps, single[kind].cleanMBps]);
  }
  const logs = {};
  for (const kind of ENGINES) {
    logs[kind] = logCorpus(kind);
    rows.push([`engine, 1 thread, chat+log lines (eval generator)`, kind, logs[kind].MBps, null]);
    rows.push([`  same, digit-run pre-checks off`, kind, logs[kind].withoutDigitPrechecksMBps, null]);
  }
  const pools = {};
  for (const kind of ENGINES) {
    for (const workers of [1, 2]) {
      const v = await pool(kind, workers);
      pools[`${kind}/${workers}`] = v;
      rows.push([`pool, ${workers} worker${workers > 1 ? 's' : ''}`, kind, v, null]);
    }
  }
  const base = naive(args.includes('--quick') ? 2 : 5);
  rows.push(['naive: each rule over each whole text', 're2-wasm', base.MBps, null]);
  const fmt = (x) => (x === null ? '–' : x.toFixed(1));
  const table = [
    '| configuration | regex engine | chat corpus (1% pos.), MB/s wall | same, MB per CPU-s | clean messages, MB/s wall | same, MB per CPU-s |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      ([c, k, a, b]) =>
        `| ${c} | ${k} | ${fmt(a.wall)} | ${fmt(a.cpu)} | ${fmt(b && b.wall)} | ${fmt(b && b.cpu)} |`,
    ),
  ].join('\n');
  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
    re2NativeVersion: re2Version(),
    note: 'shared machine (other test suites running): best of rounds; MB = 1e6 UTF-8 bytes of message text; wall = per second of elapsed time, cpu = per CPU-second of this process (all threads)',
    loadAverage: require('node:os').loadavg(),
    corpus: {
      messages: corpus.texts.length,
      bytes: corpus.bytes,
      avgBytes: Math.round(corpus.bytes / corpus.texts.length),
      positives: corpus.positives,
      generator: 'bench/engine/corpus.cjs (seed 7)',
    },
    secondsPerFigure: SECONDS,
    singleThread: single,
    logLines: { lines: logLines.length, avgBytes: Math.round(bytesOf(logLines) / logLines.length), ...logs },
    pool: pools,
    naiveRe2Wasm: { ...base, rules: single['re2-wasm']?.rules },
    speedupVsNaive: Object.fromEntries(
      ENGINES.map((k) => [k, Number((single[k].corpusMBps.cpu / base.MBps.cpu).toFixed(0))]),
    ),
    table,
  };
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'engine.json'), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(
    `${table}\n\ncorpus: ${result.corpus.messages} messages, ${result.corpus.avgBytes} B avg, ${corpus.positives} positives; ${result.cpus}; node ${process.version}\nwrote bench/results/engine.json\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
