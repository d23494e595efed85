/**
 * Failure rules with real worker threads: whatever kills a worker, the batch completes,
 * only the marked record fails (with the right code, and no payload in the message),
 * the pool restarts workers and keeps scanning.
 */
import { ErrorCodes } from '../../../src/errors';
import { WorkerPool } from '../../../src/scan/pool';
import type { WorkerRestartEvent } from '../../../src/scan/pool';
import { FIXTURE_ENGINE, KEY, makeRecords } from './fixtures';

jest.setTimeout(60_000);

const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const cases = [
  { behaviour: 'throw', code: ErrorCodes.WORKER_CRASHED, reason: 'uncaught' },
  { behaviour: 'exit', code: ErrorCodes.WORKER_CRASHED, reason: 'exit' },
  { behaviour: 'oom', code: ErrorCodes.WORKER_CRASHED, reason: 'out-of-memory' },
  { behaviour: 'hang', code: ErrorCodes.SCAN_TIMEOUT, reason: 'timeout' },
] as const;

describe.each(cases)(
  'a worker that fails with $behaviour on a marked record',
  ({ behaviour, code, reason }) => {
    it('fails only that record, restarts workers and keeps working', async () => {
      const pool = new WorkerPool({
        engineModulePath: FIXTURE_ENGINE,
        engineOptions: { fingerprintKey: KEY, behaviour },
        workers: 2,
        maxChunkRecords: 8,
        maxOldGenerationSizeMb: 32,
        // Generous for 8 small records even on a loaded 2-core box; a hang costs 3 of these.
        taskTimeoutBaseMs: 1_500,
      });
      pools.push(pool);
      const restarts: WorkerRestartEvent[] = [];
      pool.on('restart', (e) => restarts.push(e));
      await pool.start();

      const marked = 13;
      const { results, stats } = await pool.scanBatchWithStats(makeRecords(40, { mark: [marked] }));

      expect(results).toHaveLength(40);
      results.forEach((r, i) => {
        if (i === marked) {
          expect(r).toMatchObject({ ok: false, code });
          if (!r.ok) expect(r.message).not.toMatch(/POISON|record 13/);
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.findings[0]).toHaveLength(i % 5 === 0 ? 1 : 0);
        }
      });
      // First try, retry of the whole chunk, then the record alone: three worker deaths.
      expect(stats.retries).toBe(1);
      expect(stats.isolations).toBe(1);
      expect(stats.failed).toEqual({ [code]: 1 });
      expect(pool.restarts).toBe(3);
      expect(restarts.map((e) => e.reason)).toEqual([reason, reason, reason]);

      // The pool keeps its size and keeps working.
      const after = await pool.scanBatch(makeRecords(40));
      expect(after.every((r) => r.ok)).toBe(true);
      expect(pool.workerCount).toBe(2);
    });
  },
);

it('a single-record chunk fails after exactly two attempts', async () => {
  const pool = new WorkerPool({
    engineModulePath: FIXTURE_ENGINE,
    engineOptions: { fingerprintKey: KEY, behaviour: 'throw' },
    workers: 1,
  });
  pools.push(pool);
  await pool.start();
  const results = await pool.scanBatch(makeRecords(1, { mark: [0] }));
  expect(results).toEqual([
    {
      ok: false,
      code: ErrorCodes.WORKER_CRASHED,
      message: expect.stringMatching(/uncaught RangeError/) as unknown,
    },
  ]);
  expect(pool.restarts).toBe(2);
});

it('several offending records in different chunks each fail alone', async () => {
  const pool = new WorkerPool({
    engineModulePath: FIXTURE_ENGINE,
    engineOptions: { fingerprintKey: KEY, behaviour: 'exit' },
    workers: 2,
    maxChunkRecords: 5,
  });
  pools.push(pool);
  await pool.start();
  const marks = [2, 3, 17];
  const results = await pool.scanBatch(makeRecords(30, { mark: marks }));
  results.forEach((r, i) => expect(r.ok).toBe(!marks.includes(i)));
});

it('a record that cannot be posted to a worker fails alone with SCAN_FAILED, without a restart', async () => {
  const pool = new WorkerPool({
    engineModulePath: FIXTURE_ENGINE,
    engineOptions: { fingerprintKey: KEY },
    workers: 1,
    maxChunkRecords: 10,
  });
  pools.push(pool);
  await pool.start();
  const records = makeRecords(6);
  (records[2]!.texts[0] as { text: unknown }).text = () => 'not data'; // not structured-cloneable
  const results = await pool.scanBatch(records);
  expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
    'ok',
    'ok',
    ErrorCodes.SCAN_FAILED,
    'ok',
    'ok',
    'ok',
  ]);
  expect(pool.restarts).toBe(0);
});

it('a chunk queued behind the one its worker died on is sent again without counting an attempt', async () => {
  // One worker, two tasks per worker: chunk 1 waits in the thread's queue while chunk 0 kills it.
  const pool = new WorkerPool({
    engineModulePath: FIXTURE_ENGINE,
    engineOptions: { fingerprintKey: KEY, behaviour: 'throw' },
    workers: 1,
    tasksPerWorker: 2,
    maxChunkRecords: 8,
  });
  pools.push(pool);
  await pool.start();
  const { results, stats } = await pool.scanBatchWithStats(makeRecords(24, { mark: [3] }));
  results.forEach((r, i) => expect(r.ok).toBe(i !== 3));
  // Chunk 0: first try, retry, then isolated; chunk 1 never counted as a retry.
  expect(stats.retries).toBe(1);
  expect(stats.isolations).toBe(1);
  expect(stats.failed).toEqual({ [ErrorCodes.WORKER_CRASHED]: 1 });
  expect(pool.restarts).toBe(3);
});
