import { createFetchAheadFetcher } from '../../src/kafka/kafkajs-fetch-ahead';

// kafkajs' own worker queue and workers (jest's registry gives the originals).
type Batch = { topic: string; partition: number; id: string };
type Handler = (b: Batch) => Promise<void>;
const createWorker = jest.requireActual('kafkajs/src/consumer/worker') as (o: {
  handler: Handler;
  workerId: number;
}) => unknown;
const createWorkerQueue = jest.requireActual('kafkajs/src/consumer/workerQueue') as (o: {
  workers: unknown[];
}) => { push(...b: Batch[]): Promise<void>; getWorkers(): never[] };

const logger = { namespace: () => ({ info: () => undefined }) };

/** A deferred: a promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits for a condition (polled on the event loop), with a deadline. */
let debug: unknown = null;
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(`condition not met before the deadline: ${cond.toString()} ${JSON.stringify(debug)}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * kafkajs' side of the loop, modelled: each partition has a queue of batches; a fetch returns
 * the head batch of every partition that has data and is not paused (consumerGroup.fetch), and a
 * head stays there until its batch is processed (its offsets resolved). With no data a fetch is
 * a long poll the test ends. The handler pauses its partition while it runs, unless told not to.
 */
function rig(opts: { concurrency?: number; pauses?: boolean } = {}) {
  const paused = new Set<number>();
  const data = new Map<number, Batch[]>();
  const processed: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const load = { now: 0, max: 0 };
  const handler: Handler = async (b) => {
    if (opts.pauses ?? true) paused.add(b.partition);
    load.max = Math.max(load.max, ++load.now);
    try {
      const g = gates.get(b.id);
      if (g) await g.promise;
      processed.push(b.id);
      const q = data.get(b.partition)!;
      if (q[0]?.id === b.id) q.shift();
    } finally {
      load.now--;
      paused.delete(b.partition);
    }
  };
  const workers = Array.from({ length: opts.concurrency ?? 4 }, (_, i) =>
    createWorker({ handler, workerId: i }),
  );
  const workerQueue = createWorkerQueue({ workers });
  const fetches: string[][] = [];
  let idle = deferred();
  const fetch = async (): Promise<Batch[]> => {
    await new Promise((res) => setImmediate(res)); // a round trip
    const out: Batch[] = [];
    for (const [p, q] of data) if (q.length > 0 && !paused.has(p)) out.push(q[0]!);
    if (out.length === 0) {
      await idle.promise;
      idle = deferred();
      return [];
    }
    fetches.push(out.map((b) => b.id));
    return out;
  };
  const partitionAssignments = new Map<string, number>();
  const fetcher = createFetchAheadFetcher({ nodeId: 1, workerQueue, partitionAssignments, fetch, logger });
  const gate = (id: string) => {
    const d = deferred();
    gates.set(id, d);
    return d;
  };
  const add = (partition: number, ...ids: string[]) =>
    data.set(partition, [
      ...(data.get(partition) ?? []),
      ...ids.map((id) => ({ topic: 't', partition, id })),
    ]);
  const stop = async () => {
    const stopped = fetcher.stop();
    idle.resolve();
    await stopped;
  };
  debug = { processed, fetches: { count: fetches.length, first: fetches.slice(0, 5) } };
  return { fetcher, add, fetches, processed, gate, load, partitionAssignments, stop };
}

describe('fetch-ahead fetcher', () => {
  test('fetches the free partitions again while a slow batch is still processed', async () => {
    const r = rig();
    const slow = r.gate('a1');
    r.add(0, 'a1', 'a2');
    r.add(1, 'b1', 'b2', 'b3');
    const running = r.fetcher.start();
    // b1, b2 and b3 are processed while a1 still runs; partition 0 is not fetched meanwhile.
    await until(() => r.processed.includes('b3'));
    expect(r.processed).toEqual(['b1', 'b2', 'b3']);
    expect(r.fetches).toEqual([['a1', 'b1'], ['b2'], ['b3']]);
    slow.resolve();
    await until(() => r.processed.includes('a2'));
    await r.stop();
    await running;
    expect(r.processed).toEqual(['b1', 'b2', 'b3', 'a1', 'a2']);
  });

  test('a consumer that does not pause never gets a batch twice, and the fetcher then waits for all', async () => {
    const r = rig({ pauses: false });
    const slow = r.gate('a1');
    r.add(0, 'a1', 'a2');
    r.add(1, 'b1', 'b2', 'b3', 'b4');
    const running = r.fetcher.start();
    await until(() => r.processed.includes('b3'));
    // a1 was fetched again with b2 and with b3 (dropped both times): barrier from then on.
    const before = r.fetches.length;
    await new Promise((res) => setTimeout(res, 20));
    expect(r.fetches.length).toBe(before);
    expect(r.processed).not.toContain('b4');
    slow.resolve();
    await until(() => r.processed.includes('a2') && r.processed.includes('b4'));
    await r.stop();
    await running;
    expect([...r.processed].sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'b3', 'b4']);
  });

  test('stop() resolves only when every batch in flight is done', async () => {
    const r = rig();
    const slow = r.gate('a1');
    r.add(0, 'a1');
    const running = r.fetcher.start();
    await until(() => r.load.now === 1);
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(stopped).toBe(false);
    slow.resolve();
    await stopping;
    await running;
    expect(r.processed).toEqual(['a1']);
    expect(r.partitionAssignments.size).toBe(0);
  });

  test('a failing batch ends the loop once the others are done, with its error', async () => {
    const r = rig();
    const bad = r.gate('bad');
    const slow = r.gate('slow');
    r.add(0, 'bad', 'never');
    r.add(1, 'slow');
    const running = r.fetcher.start();
    await until(() => r.load.now === 2);
    bad.reject(new Error('batch failed'));
    let settled = false;
    void running.catch(() => (settled = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(settled).toBe(false); // 'slow' is still in flight
    slow.resolve();
    await expect(running).rejects.toThrow('batch failed');
    expect(r.processed).toEqual(['slow']);
    expect(r.fetches).toEqual([['bad', 'slow']]);
  });

  test('a batch another fetcher is processing is left to it', async () => {
    const r = rig();
    r.partitionAssignments.set('t|0', 2);
    r.add(0, 'a1');
    r.add(1, 'b1');
    const running = r.fetcher.start();
    await until(() => r.processed.includes('b1') && r.fetches.length >= 3);
    await r.stop();
    await running;
    expect(r.processed).toEqual(['b1']);
    expect(r.partitionAssignments.get('t|0')).toBe(2);
  });

  test('runs no more batches at once than kafkajs has workers, and every one of them', async () => {
    const r = rig({ concurrency: 2 });
    const gates = ['a1', 'b1', 'c1'].map((id) => r.gate(id));
    r.add(0, 'a1', 'a2');
    r.add(1, 'b1', 'b2');
    r.add(2, 'c1', 'c2');
    const running = r.fetcher.start();
    await until(() => r.load.now === 2);
    for (const g of gates) g.resolve();
    await until(() => r.processed.length === 6);
    await r.stop();
    await running;
    expect(r.load.max).toBe(2);
    expect([...r.processed].sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
  });

  test('an answer that left while a batch ran is not handed over, even when that batch is done by then', async () => {
    // A consumer that does not pause: the second request asks for partition 0 from a1's first
    // offset (nothing resolved yet); a1 finishes while that request is out; its answer repeats a1.
    const processed: string[] = [];
    const release = deferred();
    const answer = deferred();
    let calls = 0;
    const handler: Handler = async (batch) => {
      if (batch.id === 'a1') await release.promise;
      processed.push(batch.id);
    };
    const workers = [0, 1].map((i) => createWorker({ handler, workerId: i }));
    const fetcher = createFetchAheadFetcher({
      nodeId: 1,
      workerQueue: createWorkerQueue({ workers }),
      partitionAssignments: new Map(),
      logger,
      fetch: async (): Promise<Batch[]> => {
        calls++;
        if (calls === 1)
          return [
            { topic: 't', partition: 0, id: 'a1' },
            { topic: 't', partition: 1, id: 'b1' },
          ];
        if (calls === 2) {
          await answer.promise;
          return [
            { topic: 't', partition: 0, id: 'a1-again' },
            { topic: 't', partition: 1, id: 'b2' },
          ];
        }
        await new Promise((r) => setTimeout(r, 5));
        return [];
      },
    });
    const running = fetcher.start();
    await until(() => calls === 2);
    release.resolve();
    await until(() => processed.includes('a1'));
    answer.resolve();
    await until(() => processed.includes('b2'));
    await fetcher.stop();
    await running;
    expect(processed).toEqual(['b1', 'a1', 'b2']);
  });
});
