'use strict';
// Pool overhead with a near-free engine (fixture, no findings), so what is measured is the pool:
// chunking, message passing (both transports), result copying and dispatch.
//   npx tsc -b services/scrubber && node services/scrubber/test/scan/pool/bench/pool-overhead.cjs
// Not a jest test: timings on a shared box are for the report, not for a pass/fail gate.
const path = require('node:path');
const { WorkerPool, createEngineFromModule } = require('../../../../dist/scan/pool');

const ENGINE = path.join(__dirname, '..', 'fixtures', 'fixture-engine.cjs');
const KEY = Buffer.alloc(32, 7);

/** Records shaped like decoded chat: the message text plus the short texts of other fields, key, headers. */
function records(n, size) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const head = `{"user":"u${i}","event":"chat","n":${i},"text":"`;
    out.push({
      source: 'chat',
      texts: [
        {
          path: 'value.text',
          text: head + 'lorem ipsum '.repeat(Math.ceil(size / 12)).slice(0, size - head.length),
        },
        { path: 'value.senderDisplay', text: `User ${i % 97}` },
        { path: 'key', text: `conv-${i % 50}` },
        { path: 'headers.content-type', text: 'application/vnd.sluice.chat+avro' },
      ],
    });
  }
  return out;
}

const { performance } = require('node:perf_hooks');
const ROUNDS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median over ROUNDS of (ms per batch, main-thread busy us per record). The box is shared, so
 * wall time is noisy; main-thread busy time (event-loop utilisation) is the cost the Kafka
 * consumer thread actually pays for handing records to workers and taking results back.
 */
async function timeBatches(pool, batch, iterations) {
  for (let i = 0; i < 3; i++) await pool.scanBatch(batch); // warm-up: JIT in both threads
  const wall = [];
  const busy = [];
  for (let r = 0; r < ROUNDS; r++) {
    const elu0 = performance.eventLoopUtilization();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await pool.scanBatch(batch);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const elu = performance.eventLoopUtilization(elu0);
    wall.push(ms / iterations);
    busy.push((elu.active * 1e3) / (iterations * batch.length));
  }
  return { ms: median(wall), busyUs: median(busy) };
}

async function inThread(batch, iterations) {
  const engine = await createEngineFromModule(ENGINE, { fingerprintKey: KEY });
  for (let i = 0; i < 3; i++) for (const r of batch) engine.scanRecord(r);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) for (const r of batch) engine.scanRecord(r);
  return Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
}

/** `--real`: the same figures with the production engine (dist/scan/engine.js) and realistic text. */
async function real() {
  const texts = [
    'hey, can you send me the deploy notes for tomorrow? thanks',
    'contact me at jane.doe@example.org or +44 20 7946 0958 after 5pm',
    'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and retry the upload',
    'the build failed again on the integration branch, looking into it now',
  ];
  const batch = [];
  for (let i = 0; i < 10_000; i++) {
    const t = `${texts[i % texts.length]} (msg ${i}) `;
    batch.push({
      source: 'chat',
      texts: [{ path: 'value.text', text: t.repeat(Math.ceil(300 / t.length)).slice(0, 300) }],
    });
  }
  const engine = await createEngineFromModule(
    path.join(__dirname, '..', '..', '..', '..', 'dist', 'scan', 'engine.js'),
    { fingerprintKey: KEY },
  );
  for (const r of batch.slice(0, 500)) engine.scanRecord(r);
  const t0 = process.hrtime.bigint();
  for (const r of batch) engine.scanRecord(r);
  const base = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `## real engine, 10,000 records x 300 B; in-thread ${base.toFixed(0)} ms = ${Math.round(batch.length / (base / 1e3)).toLocaleString()} records/s`,
  );
  for (const workers of [1, 2]) {
    const s0 = process.hrtime.bigint();
    const pool = await WorkerPool.create({ engineOptions: { fingerprintKey: KEY }, workers });
    const startMs = Number(process.hrtime.bigint() - s0) / 1e6;
    const { ms, busyUs } = await timeBatches(pool, batch, 1);
    console.log(
      `workers=${workers}  start ${startMs.toFixed(0)} ms  ${ms.toFixed(0)} ms/batch  ${Math.round(batch.length / (ms / 1e3)).toLocaleString()} records/s  main thread busy ${busyUs.toFixed(2)} us/record`,
    );
    await pool.close();
  }
}

async function main() {
  if (process.argv.includes('--real')) return real();
  const small = records(1_000, 300);
  console.log('## transport: 1,000 records x 300 B in ONE task, 1 worker (ms per batch, round trip)');
  for (const transport of ['clone', 'transfer', 'packed']) {
    const pool = await WorkerPool.create({
      engineModulePath: ENGINE,
      engineOptions: { fingerprintKey: KEY },
      workers: 1,
      maxChunkRecords: 1_000,
      transport,
    });
    const { ms, busyUs } = await timeBatches(pool, small, 20);
    console.log(
      `${transport.padEnd(8)} ${ms.toFixed(2)} ms/batch  ${((ms * 1e3) / small.length).toFixed(2)} us/record round trip  main thread busy ${busyUs.toFixed(2)} us/record`,
    );
    await pool.close();
  }

  const big = records(10_000, 300);
  const base = await inThread(big, 10);
  console.log(
    `\n## 10,000 records x 300 B; engine alone in the main thread: ${base.toFixed(1)} ms/batch = ${Math.round(big.length / (base / 1e3)).toLocaleString()} records/s`,
  );
  for (const transport of ['clone', 'transfer', 'packed']) {
    for (const workers of [1, 2]) {
      const pool = await WorkerPool.create({
        engineModulePath: ENGINE,
        engineOptions: { fingerprintKey: KEY },
        workers,
        transport,
      });
      const { ms, busyUs } = await timeBatches(pool, big, 4);
      const perRecordUs = (ms * 1e3) / big.length;
      console.log(
        `${transport.padEnd(8)} workers=${workers}  ${ms.toFixed(1)} ms/batch  ${Math.round(big.length / (ms / 1e3)).toLocaleString()} records/s  ` +
          `${perRecordUs.toFixed(2)} us/record wall (engine alone ${((base * 1e3) / big.length).toFixed(2)})  main thread busy ${busyUs.toFixed(2)} us/record`,
      );
      await pool.close();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
