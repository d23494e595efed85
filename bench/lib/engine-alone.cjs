'use strict';
// Engine alone (no Kafka) on the texts of the bench's own chat corpus, one thread = one core:
// the clean-text path (messages without findings) and the whole corpus. The engine bench of
// bench/engine/ (its own chat-like corpus, worker pool, re2-wasm, naive baseline) is reused:
// its results file is read, and with BENCH_ENGINE_RERUN=1 it is re-run first.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { DIST, ROOT, RESULTS, log } = require('./common.cjs');

/** Best of 3 rounds: MB/s of wall time, and MB per CPU-second of this process (fair on a loaded machine). */
function measure(texts, scan, seconds) {
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
  for (let i = 0; i < Math.min(texts.length, 2000); i++) scan(texts[i]);
  let wall = 0;
  let cpu = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let done = 0;
    do {
      for (const t of texts) scan(t);
      done += bytes;
    } while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds / 3);
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, done / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e6);
    cpu = Math.max(cpu, done / ((c.user + c.system) / 1e6) / 1e6);
  }
  return { wall: Number(wall.toFixed(1)), cpu: Number(cpu.toFixed(1)) };
}

/** engine.json figures are numbers (older) or { wall, cpu } (newer). */
const figure = (v) =>
  typeof v === 'number'
    ? Number(v.toFixed(1))
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v).map(([k, x]) => [k, typeof x === 'number' ? Number(x.toFixed(1)) : x]),
        )
      : null;

function engineAlone(texts, { seconds = 3 } = {}) {
  const { ScanEngine } = require(path.join(DIST, 'scan', 'engine.js'));
  const engine = ScanEngine.create({ fingerprintKey: Buffer.alloc(32, 7) });
  const clean = texts.filter((t) => engine.scanText(t).length === 0);
  const res = {
    texts: texts.length,
    cleanTexts: clean.length,
    avgTextBytes: Math.round(texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / texts.length),
    rules: engine.rules.length,
  };
  const c = measure(clean, (t) => engine.scanText(t), seconds);
  const w = measure(texts, (t) => engine.scanText(t), seconds);
  // Per core = per CPU-second of the scanning thread (the bench process is otherwise idle here).
  res.cleanPathMBpsPerCore = c.cpu;
  res.cleanPathMBpsWall = c.wall;
  res.wholeCorpusMBpsPerCore = w.cpu;
  res.wholeCorpusMBpsWall = w.wall;
  log(
    `  engine alone (1 thread): clean path ${res.cleanPathMBpsPerCore} MB per CPU-s (${res.cleanPathMBpsWall} MB/s wall), whole corpus ${res.wholeCorpusMBpsPerCore} (${res.wholeCorpusMBpsWall})`,
  );
  const file = path.join(RESULTS, 'engine.json');
  if (
    process.env.BENCH_ENGINE_RERUN === '1' &&
    fs.existsSync(path.join(ROOT, 'bench', 'engine', 'run.cjs'))
  ) {
    log('  re-running bench/engine/run.cjs --quick');
    execFileSync(process.execPath, [path.join(ROOT, 'bench', 'engine', 'run.cjs'), '--quick'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (fs.existsSync(file)) {
    try {
      const e = JSON.parse(fs.readFileSync(file, 'utf8'));
      const st = e.singleThread ?? {};
      res.engineBench = {
        source: 'bench/results/engine.json (bench/engine/run.cjs)',
        generatedAt: e.generatedAt,
        singleThreadCleanMBps: Object.fromEntries(
          Object.entries(st).map(([k, v]) => [k, figure(v.cleanMBps)]),
        ),
        singleThreadCorpusMBps: Object.fromEntries(
          Object.entries(st).map(([k, v]) => [k, figure(v.corpusMBps)]),
        ),
        poolMBps: Object.fromEntries(Object.entries(e.pool ?? {}).map(([k, v]) => [k, figure(v)])),
      };
    } catch (err) {
      res.engineBench = { error: `could not read bench/results/engine.json: ${err.message}` };
    }
  }
  return res;
}

module.exports = { engineAlone };
