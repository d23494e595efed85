import { EventEmitter } from 'node:events';
import { replaceKafkajsModule } from './kafkajs-module-replacement';

/**
 * kafkajs' fetcher (consumer/fetcher.js) fetches every assigned partition of a broker, hands the
 * batches to the workers and waits until ALL of them are processed before it fetches again: one
 * slow partition holds every other partition's next fetch, so a record waits for the slowest
 * transaction of the cycle before its own is even fetched (README "Benchmarks", latency).
 *
 * This fetcher fetches again as soon as ANY batch is done, for the partitions that are free.
 * A partition whose batch is still being processed must not be fetched again (kafkajs would
 * hand out its records a second time, from its last resolved offset), so consumers that use it
 * pause the batch's partition while they process it (the eachBatch payload's `pause()`,
 * resumed when the batch is done; ScrubberPipeline does), and the next fetch waits until every
 * batch handed over has started. An answer for a partition that was in flight when the request
 * went out is dropped (it was asked for from a position that batch had not resolved yet, so it
 * repeats its records even if the batch is done when the answer arrives): no batch is processed
 * twice. When that happens twice during one batch, the consumer does not pause, and from then on
 * this fetcher waits for every batch like kafkajs does.
 * Errors and stop() keep kafkajs' contract: stop() and a failing batch end the loop only once
 * every batch in flight is done; the first error is what start() throws. This module must load
 * before `kafkajs`.
 */

interface BatchLike {
  topic: string;
  partition: number;
}
interface QueueItem {
  batch: BatchLike;
  resolve: () => void;
  reject: (e: Error) => void;
  /** Called when a worker takes the batch. */
  onStart: () => void;
}
interface KafkajsWorker {
  run(args: { next: () => QueueItem | undefined }): Promise<void>;
}
interface WorkerQueue {
  push(...batches: BatchLike[]): Promise<void>;
  getWorkers(): KafkajsWorker[];
}
interface FetcherLogger {
  info(message: string, extra?: object): void;
}
interface FetcherOptions {
  nodeId: number;
  workerQueue: WorkerQueue;
  partitionAssignments: Map<string, number>;
  fetch: (nodeId: number) => Promise<BatchLike[]>;
  logger: { namespace(name: string): FetcherLogger };
}

export interface Fetcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  getWorkerQueue(): WorkerQueue;
}

const keyOf = (b: BatchLike) => `${b.topic}|${b.partition}`;

/**
 * Hands batches one at a time to kafkajs' workers, each with its own completion (kafkajs'
 * workerQueue.push only resolves when all batches of one call are done). A kafkajs worker's
 * run() returns its current loop while one is running, and for a moment after it ended (the loop
 * is forgotten in a `finally`), so a submit can find every worker "running" and none taking the
 * batch: every run() that settles therefore looks at the queue again. One scheduler per worker
 * pool, shared by the fetchers of all brokers, like kafkajs' queue.
 */
class BatchScheduler {
  private readonly items: QueueItem[] = [];
  private readonly next = (): QueueItem | undefined => {
    const item = this.items.shift();
    item?.onStart();
    return item;
  };
  private readonly afterRun = (): void => {
    if (this.items.length > 0) this.kick();
  };

  constructor(private readonly workers: readonly KafkajsWorker[]) {}

  submit(batch: BatchLike, onStart: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.items.push({ batch, resolve, reject, onStart });
      this.kick();
    });
  }

  private kick(): void {
    for (const w of this.workers) void w.run({ next: this.next }).then(this.afterRun, this.afterRun);
  }
}

const schedulers = new WeakMap<WorkerQueue, BatchScheduler>();

function schedulerFor(queue: WorkerQueue): BatchScheduler {
  let s = schedulers.get(queue);
  if (!s) schedulers.set(queue, (s = new BatchScheduler(queue.getWorkers())));
  return s;
}

export function createFetchAheadFetcher({
  nodeId,
  workerQueue,
  partitionAssignments,
  fetch,
  logger: rootLogger,
}: FetcherOptions): Fetcher {
  const logger = rootLogger.namespace(`Fetcher ${nodeId}`);
  const scheduler = schedulerFor(workerQueue);
  const emitter = new EventEmitter();
  let isRunning = false;
  /** Batches handed to the workers and not done yet, by topic|partition. */
  const inflight = new Map<string, { done: Promise<void>; started: boolean; dups: number }>();
  let notStarted = 0;
  /** A batch finished since the last fetch: its partition is free to fetch again. */
  let freed = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  /** Set once a running batch's partition was fetched twice: this consumer does not pause. */
  let barrier = false;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const otherFetcherOwns = (b: BatchLike) => {
    const owner = partitionAssignments.get(keyOf(b));
    if (owner != null && owner !== nodeId) {
      logger.info('Filtering out batch due to partition already being processed by another fetcher', {
        topic: b.topic,
        partition: b.partition,
        assignedFetcher: owner,
        fetcher: nodeId,
      });
      return true;
    }
    return false;
  };

  const handOver = (b: BatchLike): void => {
    const key = keyOf(b);
    partitionAssignments.set(key, nodeId);
    const entry = { done: Promise.resolve(), started: false, dups: 0 };
    notStarted++;
    entry.done = scheduler
      .submit(b, () => {
        entry.started = true;
        notStarted--;
        signal();
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        partitionAssignments.delete(key);
        inflight.delete(key);
        freed = true;
        signal();
      });
    inflight.set(key, entry);
  };

  /**
   * Resolves when the next fetch may go out: nothing in flight, or a batch is done and every
   * batch in flight has started (its consumer paused its partition when it did), or an error.
   * In barrier mode (a consumer that does not pause), when nothing is in flight.
   */
  const mayFetch = async (): Promise<void> => {
    for (;;) {
      if (inflight.size === 0 || failure !== null || !isRunning) return;
      if (!barrier && freed && notStarted === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  const start = async (): Promise<void> => {
    if (isRunning) return;
    isRunning = true;
    try {
      while (isRunning && failure === null) {
        freed = false;
        // Partitions being processed when the request goes out, by this fetcher (its batches in
        // flight) or another broker's (the partition's leader moved): if kafkajs asks for one of
        // them (its consumer does not pause, or not yet), it asks from a position that batch has
        // not resolved, and the answer repeats its records even if it is done when it arrives.
        const ownersAtRequest = new Map(partitionAssignments);
        const batches = await fetch(nodeId);
        if (!isRunning) break;
        for (const b of batches) {
          if (otherFetcherOwns(b)) continue;
          const key = keyOf(b);
          const owner = ownersAtRequest.get(key);
          if (owner === nodeId) {
            // Dropped (kafkajs fetches it again from its resolved offset). Once, a pausing
            // consumer can cause it (the request went out as the batch started, before eachBatch
            // paused); twice for the same running batch means the consumer does not pause, so
            // from now on wait for every batch before fetching (kafkajs' way).
            const busy = inflight.get(key);
            if (busy?.started && ++busy.dups >= 2) barrier = true;
            continue;
          }
          if (owner != null) continue;
          handOver(b);
        }
        await mayFetch();
      }
    } catch (error) {
      failure ??= { error };
    }
    await Promise.all([...inflight.values()].map((e) => e.done));
    isRunning = false;
    emitter.emit('end');
    if (failure !== null) throw (failure as { error: unknown }).error;
  };

  const stop = async (): Promise<void> => {
    if (!isRunning) return;
    isRunning = false;
    signal();
    await new Promise<void>((resolve) => emitter.once('end', () => resolve()));
  };

  return { start, stop, getWorkerQueue: () => workerQueue };
}

let installed = false;

/** True when kafkajs' fetch manager uses this fetcher (false if kafkajs was loaded first). */
export function installFetchAhead(): boolean {
  if (installed) return true;
  installed = replaceKafkajsModule(
    'kafkajs/src/consumer/fetcher',
    'kafkajs/src/consumer/fetchManager',
    createFetchAheadFetcher,
  );
  return installed;
}

installFetchAhead();
