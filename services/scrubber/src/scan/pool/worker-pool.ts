/**
 * WorkerPool: the production RecordScanner. N worker threads, each with one engine built at
 * start; batches are split into chunks that idle workers pick up; results come back in input order.
 *
 * Failure rules (piscina-style, but no record is ever dropped):
 *  1. A worker that throws (uncaught), calls process.exit, dies from resourceLimits, or
 *     overruns its task budget (then we terminate it) is replaced by a fresh worker.
 *  2. The chunk it was scanning is retried once, as a whole, on a healthy worker. Chunks posted
 *     to it behind that one (scan.tasksPerWorker) never ran: they are sent again, no attempt counted.
 *  3. If the retry fails too, the chunk is split into one-record tasks. One record per task,
 *     not bisection: each failure costs a worker restart (~2.3 s of rule compiling), and
 *     bisection pays log2(n) of them per offending record where this pays one.
 *  4. A one-record task that fails on its last attempt is answered
 *     `{ ok: false, code: SLUICE_SCAN_TIMEOUT | SLUICE_WORKER_CRASHED }` (the pipeline
 *     quarantines it: fail closed); every other record gets its normal result.
 *     A record that cannot even be posted to a worker (not cloneable) goes the same way
 *     with SLUICE_SCAN_FAILED, without costing a restart.
 * Every input record gets exactly one result, or the whole batch rejects (only on close()).
 */
import { EventEmitter } from 'node:events';
import { ErrorCodes, SluiceError } from '../../errors';
import { planChunks, recordChars } from './chunk-plan';
import { defaultEngineModule, scanWorkerScript } from './compiled-path';
import { assertCloneable, resolvePoolOptions, taskBudgetMs } from './pool-options';
import { PoolWorker, describeDeath } from './pool-worker';
import type { RecordScanRequest, RecordScanResult, RecordScanner } from '../types';
import type { ResolvedPoolOptions, WorkerPoolOptions } from './pool-options';
import type { DeathReason, TaskOutcome } from './pool-worker';
import type { ChunkCounters } from './protocol';

/**
 * Per-batch counters for the caller to record as metrics (workers do not touch prom-client): the
 * chunk counters summed over the batch's successful tasks, and what the pool itself did.
 */
export interface BatchScanStats extends ChunkCounters {
  records: number;
  /** Tasks that completed successfully. */
  tasks: number;
  /** Chunks retried after a worker failure (rule 2). */
  retries: number;
  /** Chunks split into one-record tasks (rule 3). */
  isolations: number;
  /** Records answered with a failure (rule 4), by code. */
  failed: Record<string, number>;
  /** Ruleset version that produced each record's result, aligned with the input (a reload can split a batch). */
  rulesetVersions: string[];
}

export interface BatchScanOutput {
  results: RecordScanResult[];
  stats: BatchScanStats;
}

export interface WorkerRestartEvent {
  workerId: number;
  generation: number;
  reason: DeathReason['kind'];
  /** Safe to log: never contains record data. */
  description: string;
}

export interface WorkerPoolEvents {
  restart: [WorkerRestartEvent];
  /** A replacement worker could not be started; the pool retries with backoff. */
  'worker-start-failed': [SluiceError];
}

interface Generation {
  id: number;
  engineModulePath: string;
  engineOptions: Record<string, unknown>;
  rulesetVersion: string;
  workers: Set<PoolWorker>;
  /** Pending respawn timers (replacement start failed). */
  respawnTimers: Set<NodeJS.Timeout>;
  consecutiveStartFailures: number;
  /** Superseded by a reload, failed to start, or closed: its workers are not replaced and get no new tasks. */
  retired: boolean;
  onDrained: (() => void) | undefined;
}

interface BatchState {
  records: RecordScanRequest[];
  results: (RecordScanResult | undefined)[];
  remaining: number;
  stats: BatchScanStats;
  done: boolean;
  resolve: (out: BatchScanOutput) => void;
  reject: (err: Error) => void;
}

interface Task {
  batch: BatchState;
  start: number;
  end: number;
  chars: number;
  /** 0 = first try; 1 = the single retry (rule 2) or an isolated record (rule 3). */
  attempt: 0 | 1;
}

const RESPAWN_BACKOFF_MAX_MS = 30_000;

export class WorkerPool extends EventEmitter<WorkerPoolEvents> implements RecordScanner {
  private readonly opts: ResolvedPoolOptions;
  private readonly script: string;
  private current: Generation | undefined;
  /** A generation being started by start() or reload(), not yet dispatched to. */
  private pending: Generation | undefined;
  private startCalled = false;
  private readonly retiring = new Set<Generation>();
  private nextGenerationId = 1;
  private nextWorkerId = 1;
  private readonly queue: Task[] = [];
  private readonly inflight = new Set<BatchState>();
  private readonly roomWaiters: Array<{
    records: RecordScanRequest[];
    resolve: (p: Promise<BatchScanOutput>) => void;
    reject: (e: Error) => void;
  }> = [];
  private admitted = 0;
  private restartCount = 0;
  private dispatched = 0;
  /** No new batches (close() was called); admitted ones still run. */
  private closing = false;
  /** Past close()'s drain: no dispatch, no replacements. */
  private stopped = false;
  private closed: Promise<void> | undefined;
  private reloadChain: Promise<unknown> = Promise.resolve();

  constructor(options: WorkerPoolOptions) {
    super();
    this.opts = resolvePoolOptions(options);
    this.script = scanWorkerScript();
  }

  /** Constructs and starts a pool: resolves when every worker has built its engine. */
  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    await pool.start();
    return pool;
  }

  /** Spawns the workers; rejects with SLUICE_ENGINE_START_FAILED (and leaves no thread behind) if any cannot build its engine. */
  async start(): Promise<void> {
    if (this.startCalled) throw new Error('WorkerPool.start() called twice');
    this.startCalled = true;
    if (this.closing) throw shuttingDown('worker pool is closed');
    const gen = this.newGeneration(this.opts.engineModulePath, this.opts.engineOptions);
    await this.startGeneration(gen);
    if (this.closing) {
      await this.terminateGeneration(gen);
      throw shuttingDown('worker pool closed while starting');
    }
    this.current = gen;
  }

  get rulesetVersion(): string {
    return this.current?.rulesetVersion ?? '';
  }

  /** Tasks (chunks) waiting for an idle worker. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Workers scanning right now, in all generations (an old one may still be draining after reload). */
  get busyWorkers(): number {
    let n = 0;
    for (const gen of this.generations()) for (const w of gen.workers) if (w.isBusy) n++;
    return n;
  }

  /**
   * The scan workers' V8 heaps summed over every running worker (used and committed bytes), for
   * the memory gauges: each worker is a V8 isolate of its own, outside the main thread's
   * heap figures. A worker that does not answer within `timeoutMs` (a long scan holds its
   * thread) counts as 0 this time.
   */
  async heapStatistics(timeoutMs = 1000): Promise<{ used: number; total: number; workers: number }> {
    const all: PoolWorker[] = [];
    for (const gen of this.generations()) for (const w of gen.workers) all.push(w);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      const stats = await Promise.all(all.map((w) => Promise.race([w.heapStatistics(), late])));
      const out = { used: 0, total: 0, workers: 0 };
      for (const s of stats) {
        if (s === null) continue;
        out.used += s.used;
        out.total += s.total;
        out.workers++;
      }
      return out;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Workers replaced after a failure since the pool started. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Batches admitted (scanning or queued); never above maxQueuedBatches. */
  get pendingBatches(): number {
    return this.admitted;
  }

  /** Callers of scanBatch waiting for room: the backpressure being applied. */
  get waitingBatches(): number {
    return this.roomWaiters.length;
  }

  /** Tasks handed to workers since start, retries included. */
  get tasksDispatched(): number {
    return this.dispatched;
  }

  /** Live workers of the current generation (ready or starting). */
  get workerCount(): number {
    return this.current?.workers.size ?? 0;
  }

  get generation(): number {
    return this.current?.id ?? 0;
  }

  async scanBatch(records: RecordScanRequest[]): Promise<RecordScanResult[]> {
    return (await this.scanBatchWithStats(records)).results;
  }

  /**
   * Scans a batch, awaiting room first when maxQueuedBatches are already admitted: the Kafka
   * consumer awaits this, which is how backpressure reaches the broker fetch loop.
   * Admission is synchronous (no await between the check and registering the batch), so a
   * close() that starts right after this call still waits for the batch.
   */
  scanBatchWithStats(records: RecordScanRequest[]): Promise<BatchScanOutput> {
    try {
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.admitted < this.opts.maxQueuedBatches && this.roomWaiters.length === 0) {
      this.admitted++;
      return this.runAdmitted(records);
    }
    return new Promise<BatchScanOutput>((resolve, reject) =>
      this.roomWaiters.push({ records, resolve, reject }),
    );
  }

  private runAdmitted(records: RecordScanRequest[]): Promise<BatchScanOutput> {
    const done = this.runBatch(records);
    const release = (): void => {
      this.admitted--;
      this.wakeWaiter();
    };
    done.then(release, release);
    return done;
  }

  private wakeWaiter(): void {
    if (this.admitted < this.opts.maxQueuedBatches && this.roomWaiters.length > 0) {
      // Counted and registered here, before the waiter resumes, so a burst of releases cannot
      // overshoot the bound and close() sees the batch as in flight.
      this.admitted++;
      const w = this.roomWaiters.shift()!;
      w.resolve(this.runAdmitted(w.records));
    }
  }

  /**
   * Swaps the engine without dropping a batch: starts a new generation, waits until all of it is
   * ready, switches dispatch to it, lets the old generation finish its in-flight chunks and then
   * terminates it. Resolves when the old generation is gone. If the new generation cannot start,
   * the old one keeps scanning and this rejects with SLUICE_ENGINE_START_FAILED.
   */
  reload(engineOptions: Record<string, unknown>, opts: { engineModulePath?: string } = {}): Promise<void> {
    const run = this.reloadChain.then(() => this.doReload(engineOptions, opts.engineModulePath));
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops accepting batches, waits up to closeTimeoutMs for admitted ones, then terminates
   * every worker. Batches still running at the deadline reject with a retriable
   * SLUICE_SHUTTING_DOWN: their offsets are not committed, so the next owner rescans them.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    for (const w of this.roomWaiters.splice(0)) w.reject(shuttingDown('worker pool is closing'));
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, this.opts.closeTimeoutMs)),
      );
      const drained = new Promise<void>((resolve) => (this.onInflightEmpty = resolve));
      await Promise.race([drained, deadline]);
      clearTimeout(timer);
      this.onInflightEmpty = undefined;
      for (const b of [...this.inflight])
        this.finishBatch(
          b,
          shuttingDown(
            `worker pool closed before the batch finished (deadline ${this.opts.closeTimeoutMs} ms)`,
          ),
        );
    }
    this.stopped = true;
    this.queue.length = 0;
    await Promise.all([...this.generations()].map((g) => this.terminateGeneration(g)));
  }

  private onInflightEmpty: (() => void) | undefined;

  private assertOpen(): void {
    if (this.closing) throw shuttingDown('worker pool is closed');
    if (this.current === undefined) throw new Error('WorkerPool.start() must resolve before scanBatch()');
  }

  private runBatch(records: RecordScanRequest[]): Promise<BatchScanOutput> {
    const stats: BatchScanStats = {
      records: records.length,
      texts: 0,
      textChars: 0,
      findings: 0,
      ruleHits: {},
      scanNanos: 0,
      workerNanos: 0,
      tasks: 0,
      retries: 0,
      isolations: 0,
      failed: {},
      rulesetVersions: new Array<string>(records.length),
    };
    if (records.length === 0) return Promise.resolve({ results: [], stats });
    return new Promise<BatchScanOutput>((resolve, reject) => {
      const batch: BatchState = {
        records,
        results: new Array<RecordScanResult | undefined>(records.length),
        remaining: records.length,
        stats,
        done: false,
        resolve,
        reject,
      };
      this.inflight.add(batch);
      const workers = Math.max(1, this.current!.workers.size);
      for (const c of planChunks(records, workers, this.opts.maxChunkRecords, this.opts.maxChunkChars)) {
        this.queue.push({ batch, start: c.start, end: c.end, chars: c.chars, attempt: 0 });
      }
      this.pump();
    });
  }

  /**
   * Hands queued tasks to workers of the current generation: idle workers first (spread the
   * work), then up to tasksPerWorker per worker (the next chunk waits in the thread's queue).
   */
  private pump(): void {
    const gen = this.current;
    if (gen === undefined || this.stopped) return;
    for (let depth = 0; depth < this.opts.tasksPerWorker; depth++) {
      for (const w of gen.workers) {
        if (this.queue.length === 0) return;
        if (!w.canTake || w.outstanding > depth) continue;
        let task = this.queue.shift();
        while (task !== undefined && task.batch.done) task = this.queue.shift();
        if (task === undefined) return;
        this.runTask(w, gen, task);
      }
    }
  }

  private runTask(w: PoolWorker, gen: Generation, task: Task): void {
    this.dispatched++;
    const slice = task.batch.records.slice(task.start, task.end);
    void w.run(slice, taskBudgetMs(this.opts, task.chars)).then((outcome) => {
      this.onOutcome(task, gen, outcome);
      // An old generation retires each worker as soon as its in-flight chunk is done.
      if (gen.retired && w.isIdle) this.retire(w, gen);
      this.pump();
    });
  }

  private onOutcome(task: Task, gen: Generation, outcome: TaskOutcome): void {
    const batch = task.batch;
    if (batch.done) return;
    if (outcome.ok) {
      const stats = batch.stats;
      stats.tasks++;
      addCounters(stats, outcome.counters);
      for (let i = 0; i < outcome.results.length; i++) {
        batch.results[task.start + i] = outcome.results[i];
        stats.rulesetVersions[task.start + i] = gen.rulesetVersion;
      }
      this.complete(batch, task.end - task.start);
      return;
    }
    const size = task.end - task.start;
    if (outcome.reason.kind === 'not-run') {
      // Queued behind the chunk its worker died on: it never ran, so this is not an attempt.
      this.queue.unshift(task);
    } else if (task.attempt === 0) {
      // Rule 2: retry once, ahead of other queued work so the batch is not starved.
      batch.stats.retries++;
      this.queue.unshift({ ...task, attempt: 1 });
    } else if (size > 1) {
      // Rule 3: isolate, one record per task, in order at the queue head.
      batch.stats.isolations++;
      const singles: Task[] = [];
      for (let i = task.start; i < task.end; i++) {
        singles.push({ batch, start: i, end: i + 1, chars: recordChars(batch.records[i]!), attempt: 1 });
      }
      this.queue.unshift(...singles);
    } else {
      // Rule 4: this record is the offender.
      const kind = outcome.reason.kind;
      const code =
        kind === 'timeout'
          ? ErrorCodes.SCAN_TIMEOUT
          : kind === 'unsendable'
            ? ErrorCodes.SCAN_FAILED
            : ErrorCodes.WORKER_CRASHED;
      batch.results[task.start] = {
        ok: false,
        code,
        message: `record not scanned: ${describeDeath(outcome.reason)} on every attempt`,
      };
      batch.stats.rulesetVersions[task.start] = gen.rulesetVersion;
      batch.stats.failed[code] = (batch.stats.failed[code] ?? 0) + 1;
      this.complete(batch, 1);
    }
  }

  private complete(batch: BatchState, n: number): void {
    batch.remaining -= n;
    if (batch.remaining === 0) this.finishBatch(batch, undefined);
  }

  private finishBatch(batch: BatchState, err: Error | undefined): void {
    if (batch.done) return;
    batch.done = true;
    this.inflight.delete(batch);
    if (err !== undefined) batch.reject(err);
    else batch.resolve({ results: batch.results as RecordScanResult[], stats: batch.stats });
    if (this.inflight.size === 0) this.onInflightEmpty?.();
  }

  // ---- generations and workers ----

  private *generations(): Iterable<Generation> {
    if (this.current !== undefined) yield this.current;
    if (this.pending !== undefined) yield this.pending;
    yield* this.retiring;
  }

  private newGeneration(modulePath: string | undefined, engineOptions: Record<string, unknown>): Generation {
    return {
      id: this.nextGenerationId++,
      engineModulePath: modulePath ?? defaultEngineModule(),
      engineOptions,
      rulesetVersion: '',
      workers: new Set(),
      respawnTimers: new Set(),
      consecutiveStartFailures: 0,
      retired: false,
      onDrained: undefined,
    };
  }

  private spawn(gen: Generation): PoolWorker {
    const w = new PoolWorker({
      id: this.nextWorkerId++,
      generation: gen.id,
      script: this.script,
      data: { engineModulePath: gen.engineModulePath, engineOptions: gen.engineOptions },
      maxOldGenerationSizeMb: this.opts.maxOldGenerationSizeMb,
      startTimeoutMs: this.opts.startTimeoutMs,
      transport: this.opts.transport,
      tasksPerWorker: this.opts.tasksPerWorker,
      onDeath: (dead, reason) => this.onDeath(dead, gen, reason),
    });
    gen.workers.add(w);
    return w;
  }

  /** Starts all workers of a generation; on any failure terminates them all and rejects. */
  private async startGeneration(gen: Generation): Promise<void> {
    const workers: PoolWorker[] = [];
    for (let i = 0; i < this.opts.workers; i++) workers.push(this.spawn(gen));
    this.pending = gen;
    const settled = await Promise.allSettled(workers.map((w) => w.ready)).finally(
      () => (this.pending = undefined),
    );
    if (this.closing) {
      await this.terminateGeneration(gen);
      throw shuttingDown('worker pool closed while its workers were starting');
    }
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length > 0) {
      await this.terminateGeneration(gen);
      const first = failures[0]!.reason as Error;
      throw new SluiceError(
        ErrorCodes.ENGINE_START_FAILED,
        `${failures.length} of ${workers.length} scan workers failed to start the engine from ${gen.engineModulePath}: ${first.message}`,
        { cause: first },
      );
    }
    gen.rulesetVersion = (settled[0] as PromiseFulfilledResult<string>).value;
  }

  private onDeath(w: PoolWorker, gen: Generation, reason: DeathReason): void {
    gen.workers.delete(w);
    if (gen.retired || this.stopped) {
      this.checkDrained(gen);
      return;
    }
    // Rule 1: replace it (also while its generation is still starting, so a start never ends
    // short of workers). Its chunk is retried by onOutcome as soon as a worker is idle.
    // Replace before emitting, so a throwing listener cannot leave the pool a worker short.
    this.restartCount++;
    this.spawnReplacement(gen);
    this.emit('restart', {
      workerId: w.id,
      generation: gen.id,
      reason: reason.kind,
      description: describeDeath(reason),
    });
  }

  private spawnReplacement(gen: Generation): void {
    const w = this.spawn(gen);
    w.ready.then(
      () => {
        gen.consecutiveStartFailures = 0;
        if (gen.retired || this.stopped) this.retire(w, gen);
        else this.pump();
      },
      (err: SluiceError) => {
        gen.workers.delete(w);
        if (gen.retired || this.stopped) {
          // Stopped on purpose (reload or close) while starting: nothing to report or retry.
          this.checkDrained(gen);
          return;
        }
        this.emit('worker-start-failed', err);
        // The engine started before with the same options, so this is likely transient (memory,
        // CPU starvation); keep trying with backoff rather than running with fewer workers forever.
        const delay = Math.min(RESPAWN_BACKOFF_MAX_MS, 250 * 2 ** gen.consecutiveStartFailures++);
        const timer = setTimeout(() => {
          gen.respawnTimers.delete(timer);
          if (!gen.retired && !this.stopped) this.spawnReplacement(gen);
        }, delay);
        gen.respawnTimers.add(timer);
      },
    );
  }

  private retire(w: PoolWorker, gen: Generation): void {
    gen.workers.delete(w);
    void w.terminate().finally(() => this.checkDrained(gen));
  }

  private checkDrained(gen: Generation): void {
    if (gen.workers.size === 0 && gen.retired) {
      this.retiring.delete(gen);
      gen.onDrained?.();
    }
  }

  private async terminateGeneration(gen: Generation): Promise<void> {
    gen.retired = true;
    for (const t of gen.respawnTimers) clearTimeout(t);
    gen.respawnTimers.clear();
    const ws = [...gen.workers];
    gen.workers.clear();
    await Promise.all(ws.map((w) => w.terminate()));
    this.retiring.delete(gen);
  }

  private async doReload(
    engineOptions: Record<string, unknown>,
    modulePath: string | undefined,
  ): Promise<void> {
    this.assertOpen();
    const old = this.current!;
    const gen = this.newGeneration(modulePath ?? old.engineModulePath, assertCloneable(engineOptions));
    try {
      await this.startGeneration(gen);
    } catch (err) {
      throw new SluiceError(
        ErrorCodes.ENGINE_START_FAILED,
        `reload failed, still scanning with ruleset ${old.rulesetVersion}: ${(err as Error).message}`,
        { cause: err, hint: 'fix the rules or engine options and reload again' },
      );
    }
    if (this.closing) {
      await this.terminateGeneration(gen);
      throw shuttingDown('worker pool closed during reload');
    }
    this.current = gen;
    old.retired = true;
    this.retiring.add(old);
    const drained = new Promise<void>((resolve) => (old.onDrained = resolve));
    for (const t of old.respawnTimers) clearTimeout(t);
    old.respawnTimers.clear();
    // Idle (or still starting) old workers go now; busy ones retire when their chunk returns (runTask).
    for (const w of [...old.workers]) if (!w.isBusy) this.retire(w, old);
    this.checkDrained(old);
    this.pump();
    await drained;
  }
}

function addCounters(stats: BatchScanStats, c: ChunkCounters): void {
  stats.texts += c.texts;
  stats.textChars += c.textChars;
  stats.findings += c.findings;
  stats.scanNanos += c.scanNanos;
  stats.workerNanos += c.workerNanos;
  for (const id in c.ruleHits) stats.ruleHits[id] = (stats.ruleHits[id] ?? 0) + c.ruleHits[id]!;
}

function shuttingDown(message: string): SluiceError {
  return new SluiceError(ErrorCodes.SHUTTING_DOWN, message, { retriable: true });
}
