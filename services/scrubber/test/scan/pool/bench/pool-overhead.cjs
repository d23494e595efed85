'use strict';
// Pool overhead with a near-free engine (fixture, no findings), so what is measured is the pool:
// chunking, message passing (both transports), result copying and dispatch.
//   npx tsc -b services/scrubber && node services/scrubber/test/scan/pool/bench/pool-overhead.cjs
// Not a jest test: timings on a shared box are for the report, not for a pass/fail gate.
const path = require('node:path');
const { WorkerPool, createEngineFromModule } = require('../../../../dist/scan/pool');

const ENGINE = path.join(__dirname, '..', 'fixtures', 'fixture-engine.cjs');
const KEY = Buffer.alloc(32, 7);

function records(n, size) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const head = `{"user":"u${i}","event":"chat","n":${i},"text":"`;
    out.push({ source: 'chat', texts: [{ path: 'value.text', text: head + 'lorem ipsum '.repeat(Math.ceil(size / 12)).slice(0, size - head.length) }] });
  }
  return out;
}

async function timeBatches(pool, batch, iterations) {
  for (let i = 0; i < 3; i++) await pool.scanBatch(batch); // warm-up: JIT in both threads
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await pool.scanBatch(batch);
  return Number(process.hrtime.bigint() - t0) / 1e6 / iterations; // ms per batch
}

async function inThread(batch, iterations) {
  const engine = await createEngineFromModule(ENGINE, { fingerprintKey: KEY });
  for (let i = 0; i < 3; i++) for (const r of batch) engine.scanRecord(r);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) for (const r of batch) engine.scanRecord(r);
  return Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
}

async function main() {
  const small = records(1_000, 300);
  console.log('## transport: 1,000 records x 300 B in ONE task, 1 worker (ms per batch, round trip)');
  for (const transport of ['clone', 'transfer']) {
    const pool = await WorkerPool.create({ engineModulePath: ENGINE, engineOptions: { fingerprintKey: KEY }, workers: 1, maxChunkRecords: 1_000, transport });
    const ms = await timeBatches(pool, small, 50);
    console.log(`${transport.padEnd(8)} ${ms.toFixed(2)} ms/batch  ${((ms * 1e3) / small.length).toFixed(2)} us/record`);
    await pool.close();
  }

  const big = records(10_000, 300);
  const base = await inThread(big, 10);
  console.log(`\n## 10,000 records x 300 B; engine alone in the main thread: ${base.toFixed(1)} ms/batch = ${Math.round(big.length / (base / 1e3)).toLocaleString()} records/s`);
  for (const transport of ['clone', 'transfer']) {
    for (const workers of [1, 2]) {
      const pool = await WorkerPool.create({ engineModulePath: ENGINE, engineOptions: { fingerprintKey: KEY }, workers, transport });
      const ms = await timeBatches(pool, big, 10);
      const perRecordUs = (ms * 1e3) / big.length;
      console.log(
        `${transport.padEnd(8)} workers=${workers}  ${ms.toFixed(1)} ms/batch  ${Math.round(big.length / (ms / 1e3)).toLocaleString()} records/s  ` +
          `${perRecordUs.toFixed(2)} us/record wall, of which pool overhead ~${(perRecordUs - (base * 1e3) / big.length).toFixed(2)} us`,
      );
      await pool.close();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
