'use strict';
// Engine alone (no Kafka) on the texts of the bench's own chat corpus, one thread = one core:
// the clean-text path (messages without findings) and the whole corpus. The engine bench of
// bench/engine/ (its own chat-like corpus, worker pool, re2-wasm, naive baseline) is reused:
// its results file is read, and with BENCH_ENGINE_RERUN=1 it is re-run first.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { DIST, ROOT, RESULTS, log } = require('./common.cjs');

function measure(texts, scan, seconds) {
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
  for (let i = 0; i < Math.min(texts.length, 2000); i++) scan(texts[i]);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    let done = 0;
    do {
      for (const t of texts) scan(t);
      done += bytes;
    } while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds / 3);
    best = Math.max(best, done / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e6);
  }
  return Number(best.toFixed(1));
}

function engineAlone(texts, { seconds = 3 } = {}) {
  const { ScanEngine } = require(path.join(DIST, 'scan', 'engine.js'));
  const engine = ScanEngine.create({ fingerprintKey: Buffer.alloc(32, 7) });
  const clean = texts.filter((t) => engine.scanText(t).length === 0);
  const res = {
    texts: texts.length,
    cleanTexts: clean.length,
    avgTextBytes: Math.round(texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / texts.length),
    rules: engine.rules.length,
    cleanPathMBpsPerCore: measure(clean, (t) => engine.scanText(t), seconds),
    wholeCorpusMBpsPerCore: measure(texts, (t) => engine.scanText(t), seconds),
  };
  log(
    `  engine alone (1 thread): clean path ${res.cleanPathMBpsPerCore} MB/s, whole corpus ${res.wholeCorpusMBpsPerCore} MB/s`,
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
    const e = JSON.parse(fs.readFileSync(file, 'utf8'));
    res.engineBench = {
      source: 'bench/results/engine.json (bench/engine/run.cjs)',
      generatedAt: e.generatedAt,
      singleThreadCleanMBps: Object.fromEntries(
        Object.entries(e.singleThread ?? {}).map(([k, v]) => [k, Number(v.cleanMBps.toFixed(1))]),
      ),
      singleThreadCorpusMBps: Object.fromEntries(
        Object.entries(e.singleThread ?? {}).map(([k, v]) => [k, Number(v.corpusMBps.toFixed(1))]),
      ),
      poolMBps: Object.fromEntries(Object.entries(e.pool ?? {}).map(([k, v]) => [k, Number(v.toFixed(1))])),
    };
  }
  return res;
}

module.exports = { engineAlone };
