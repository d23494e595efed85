import { ErrorCodes, SluiceError } from '../../../src/errors';
import { WorkerPool } from '../../../src/scan/pool';
import type { WorkerPoolOptions } from '../../../src/scan/pool';
import type { RecordScanResult } from '../../../src/scan/types';
import { CLASS_ENGINE, FIXTURE_ENGINE, KEY, NO_FACTORY_ENGINE, makeGate, makeRecords } from './fixtures';
import { waitFor } from './wait-for';

jest.setTimeout(30_000);

const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function startPool(
  opts: Partial<WorkerPoolOptions> & { engineOptions?: Record<string, unknown> },
): Promise<WorkerPool> {
  const pool = new WorkerPool({
    engineModulePath: FIXTURE_ENGINE,
    workers: 2,
    ...opts,
    engineOptions: { fingerprintKey: KEY, ...opts.engineOptions },
  });
  pools.push(pool);
  await pool.start();
  return pool;
}

function secretCount(r: RecordScanResult): number {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}`);
  return r.findings[0]!.length;
}

describe('WorkerPool happy path', () => {
  it.each(['clone', 'transfer', 'packed'] as const)(
    'scans a batch in order with findings and counters (%s)',
    async (transport) => {
      const pool = await startPool({ transport, maxChunkRecords: 16 });
      expect(pool.rulesetVersion).toBe('fixture-v1');
      const records = makeRecords(100);
      const { results, stats } = await pool.scanBatchWithStats(records);
      expect(results).toHaveLength(100);
      results.forEach((r, i) => {
        expect(secretCount(r)).toBe(i % 5 === 0 ? 1 : 0);
        if (r.ok) expect(r.findings).toHaveLength(2); // aligned with request.texts
      });
      expect(stats.findings).toBe(20);
      expect(stats.ruleHits).toEqual({ 'fixture-secret': 20 });
      expect(stats.texts).toBe(200);
      expect(stats.tasks).toBe(7); // 100 records / 16 per chunk
      expect(stats.retries).toBe(0);
      expect(new Set(stats.rulesetVersions)).toEqual(new Set(['fixture-v1']));
      expect(pool.restarts).toBe(0);
      expect(pool.queueDepth).toBe(0);
      expect(pool.busyWorkers).toBe(0);
    },
  );

  it('splits chunks by text size too', async () => {
    const pool = await startPool({ maxChunkRecords: 1000, maxChunkChars: 1000 });
    const { stats } = await pool.scanBatchWithStats(makeRecords(10, { size: 400 }));
    expect(stats.tasks).toBeGreaterThanOrEqual(5); // ~405 chars per record, at most 2 per chunk
  });

  it("reports its workers' V8 heaps, and none once closed", async () => {
    const pool = await startPool({ workers: 2 });
    await pool.scanBatch(makeRecords(20));
    const h = await pool.heapStatistics();
    expect(h.workers).toBe(2);
    expect(h.used).toBeGreaterThan(1024 * 1024);
    expect(h.total).toBeGreaterThanOrEqual(h.used);
    await pool.close();
    expect(await pool.heapStatistics()).toEqual({ used: 0, total: 0, workers: 0 });
  });

  it('returns an empty result for an empty batch', async () => {
    const pool = await startPool({});
    await expect(pool.scanBatch([])).resolves.toEqual([]);
  });

  it('accepts a module exporting an async ScanEngine.create', async () => {
    const pool = await startPool({ engineModulePath: CLASS_ENGINE, engineOptions: { version: 'v9' } });
    expect(pool.rulesetVersion).toBe('class-v9');
    expect(await pool.scanBatch(makeRecords(3))).toHaveLength(3);
  });

  it('accepts an async createScanEngine', async () => {
    const pool = await startPool({ engineOptions: { construct: 'async' } });
    expect(await pool.scanBatch(makeRecords(3))).toHaveLength(3);
  });
});

describe('WorkerPool start failures', () => {
  it('rejects start() with a clear message when the engine cannot be built, leaving no worker behind', async () => {
    const pool = new WorkerPool({
      engineModulePath: FIXTURE_ENGINE,
      workers: 2,
      engineOptions: { fingerprintKey: KEY, construct: 'fail' },
    });
    pools.push(pool);
    const err = (await pool.start().catch((e: unknown) => e)) as SluiceError;
    expect(err).toBeInstanceOf(SluiceError);
    expect(err.code).toBe(ErrorCodes.ENGINE_START_FAILED);
    expect(err.message).toMatch(/2 of 2 scan workers failed to start/);
    expect(err.message).toMatch(/rule fixture-bad: invalid RE2 pattern/);
    expect(pool.workerCount).toBe(0);
    await expect(pool.scanBatch(makeRecords(1))).rejects.toThrow(/start\(\) must resolve/);
  });

  it('says what is expected of a module without a factory', async () => {
    const pool = new WorkerPool({
      engineModulePath: NO_FACTORY_ENGINE,
      workers: 1,
      engineOptions: { fingerprintKey: KEY },
    });
    pools.push(pool);
    await expect(pool.start()).rejects.toThrow(
      /exports neither createScanEngine\(options\) nor ScanEngine.create\(options\)/,
    );
  });

  it('rejects options it cannot send to a worker, and unknown keys, at construction', () => {
    expect(() => new WorkerPool({ engineModulePath: FIXTURE_ENGINE, engineOptions: { f: () => 1 } })).toThrow(
      /cannot be sent to a worker thread/,
    );
    expect(
      () =>
        new WorkerPool({
          engineModulePath: FIXTURE_ENGINE,
          engineOptions: {},
          workerz: 2,
        } as WorkerPoolOptions),
    ).toThrow(/unknown worker pool option workerz/);
    expect(() => new WorkerPool({ engineModulePath: FIXTURE_ENGINE, engineOptions: {}, workers: 0 })).toThrow(
      /workers = 0 is invalid: expected an integer >= 1/,
    );
  });
});

describe('WorkerPool backpressure', () => {
  it('admits at most maxQueuedBatches and makes further callers wait', async () => {
    const g = makeGate();
    const pool = await startPool({
      workers: 1,
      tasksPerWorker: 1,
      maxQueuedBatches: 2,
      engineOptions: { gate: g.gate },
    });
    const settled: number[] = [];
    const batches = [0, 1, 2, 3].map((i) => pool.scanBatch(makeRecords(1)).then((r) => (settled.push(i), r)));

    // Worker holds batch 0; batch 1 is admitted and queued; batches 2 and 3 wait for room.
    await waitFor('first record to reach the worker', () => g.started() === 1);
    await waitFor('admission to settle', () => pool.waitingBatches === 2);
    expect(pool.pendingBatches).toBe(2);
    expect(pool.queueDepth).toBe(1);
    expect(pool.tasksDispatched).toBe(1);
    expect(pool.busyWorkers).toBe(1);
    expect(settled).toEqual([]);

    g.open();
    const results = await Promise.all(batches);
    expect(results.map((r) => r.length)).toEqual([1, 1, 1, 1]);
    expect(settled).toEqual([0, 1, 2, 3]);
    expect(g.started()).toBe(4);
    expect(pool.tasksDispatched).toBe(4);
    expect(pool.pendingBatches).toBe(0);
    expect(pool.waitingBatches).toBe(0);
  });
});

describe('WorkerPool tasks per worker', () => {
  it('posts the next chunk to a busy worker up to tasksPerWorker, and no further', async () => {
    const g = makeGate();
    const pool = await startPool({ workers: 1, maxQueuedBatches: 8, engineOptions: { gate: g.gate } });
    const batches = [0, 1, 2].map(() => pool.scanBatch(makeRecords(1)));
    // The worker runs batch 0 and has batch 1 in its queue (default 2 per worker); batch 2 waits.
    await waitFor('first record to reach the worker', () => g.started() === 1);
    await waitFor('dispatch to settle', () => pool.tasksDispatched === 2);
    expect(pool.queueDepth).toBe(1);
    expect(pool.busyWorkers).toBe(1);
    g.open();
    const results = await Promise.all(batches);
    expect(results.map((r) => r.length)).toEqual([1, 1, 1]);
    expect(pool.tasksDispatched).toBe(3);
  });
});

describe('WorkerPool reload', () => {
  it('switches generations while batches are in flight without losing any', async () => {
    const g = makeGate();
    const pool = await startPool({
      workers: 2,
      maxQueuedBatches: 8,
      maxChunkRecords: 10,
      engineOptions: { gate: g.gate },
    });
    const batches = [0, 1, 2, 3, 4].map(() => pool.scanBatchWithStats(makeRecords(40)));
    await waitFor('both old workers to hold a chunk', () => g.started() === 2);

    const reloaded = pool.reload({ fingerprintKey: KEY, version: 'fixture-v2' });
    await waitFor('dispatch to switch to generation 2', () => pool.generation === 2);
    expect(pool.rulesetVersion).toBe('fixture-v2');
    // Generation 2 scans the queue while generation 1 is still stuck on its chunks.
    await waitFor('new generation to drain the queue', () => pool.queueDepth === 0 && pool.busyWorkers === 2);
    g.open();

    await reloaded;
    const outs = await Promise.all(batches);
    const versions: Record<string, number> = {};
    for (const { results, stats } of outs) {
      expect(results).toHaveLength(40);
      results.forEach((r, i) => expect(secretCount(r)).toBe(i % 5 === 0 ? 1 : 0));
      for (const v of stats.rulesetVersions) versions[v] = (versions[v] ?? 0) + 1;
    }
    // Only the chunks the old generation held at switch time came from it: two per worker (one
    // running, one posted behind it: tasksPerWorker 2).
    expect(versions).toEqual({ 'fixture-v1': 40, 'fixture-v2': 160 });
    expect(pool.workerCount).toBe(2);
    expect(pool.restarts).toBe(0);
    expect(await pool.scanBatch(makeRecords(5))).toHaveLength(5);
  });

  it('retries on the new generation a chunk whose old worker dies while draining, without replacing it', async () => {
    const g = makeGate();
    const pool = await startPool({
      workers: 1,
      maxChunkRecords: 10,
      engineOptions: { gate: g.gate, behaviour: 'throw' },
    });
    const batch = pool.scanBatchWithStats(makeRecords(10, { mark: [4] }));
    await waitFor('the old worker to hold the chunk', () => g.started() === 1);
    const reloaded = pool.reload({ fingerprintKey: KEY, version: 'fixture-v2' });
    await waitFor('dispatch to switch to generation 2', () => pool.generation === 2);
    g.open(); // the old worker resumes, reaches record 4 and throws

    const { results, stats } = await batch;
    await reloaded;
    expect(results.every((r) => r.ok)).toBe(true); // generation 2 does not misbehave
    expect(new Set(stats.rulesetVersions)).toEqual(new Set(['fixture-v2']));
    expect(stats.retries).toBe(1);
    expect(pool.restarts).toBe(0); // a retired generation is not refilled
    expect(pool.workerCount).toBe(1);
  });

  it('keeps the old generation when the new one fails to start', async () => {
    const pool = await startPool({});
    const err = (await pool
      .reload({ fingerprintKey: KEY, construct: 'fail' })
      .catch((e: unknown) => e)) as SluiceError;
    expect(err.code).toBe(ErrorCodes.ENGINE_START_FAILED);
    expect(err.message).toMatch(/reload failed, still scanning with ruleset fixture-v1/);
    expect(pool.rulesetVersion).toBe('fixture-v1');
    expect(pool.generation).toBe(1);
    const { stats } = await pool.scanBatchWithStats(makeRecords(20));
    expect(new Set(stats.rulesetVersions)).toEqual(new Set(['fixture-v1']));
  });
});

describe('WorkerPool close', () => {
  it('waits for admitted batches, then refuses new ones', async () => {
    const pool = await startPool({});
    const batch = pool.scanBatch(makeRecords(50));
    await pool.close();
    expect(await batch).toHaveLength(50);
    await expect(pool.scanBatch(makeRecords(1))).rejects.toMatchObject({ code: ErrorCodes.SHUTTING_DOWN });
    expect(pool.workerCount).toBe(0);
  });

  it('rejects batches still running at the deadline as retriable, and callers waiting for room', async () => {
    const g = makeGate();
    const pool = await startPool({
      workers: 1,
      maxQueuedBatches: 1,
      closeTimeoutMs: 100,
      engineOptions: { gate: g.gate },
    });
    // Expectations are attached before close() so the rejections are never unhandled.
    const running = expect(pool.scanBatch(makeRecords(2))).rejects.toMatchObject({
      code: ErrorCodes.SHUTTING_DOWN,
      retriable: true,
    });
    const waiting = expect(pool.scanBatch(makeRecords(2))).rejects.toMatchObject({
      code: ErrorCodes.SHUTTING_DOWN,
    });
    await waitFor('the worker to hold the first batch', () => g.started() === 1);
    await pool.close();
    await running;
    await waiting;
    expect(pool.workerCount).toBe(0);
  });
});
