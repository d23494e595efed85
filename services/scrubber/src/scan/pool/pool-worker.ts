/**
 * One worker thread and its life: starting -> idle <-> busy -> dead.
 * It holds up to `tasksPerWorker` tasks: the first one running, the others already posted and
 * waiting in the thread's message queue (so the thread goes from one chunk to the next without
 * waiting for the main thread). It turns every way a thread can fail into a TaskOutcome, so the
 * pool's failure rules live in one place (worker-pool.ts) and never see raw events: the task the
 * thread was running when it died gets the death; the tasks queued behind it never ran, and get
 * `not-run` (the pool sends them again without counting an attempt).
 */
import { Worker } from 'node:worker_threads';
import { ErrorCodes, SluiceError } from '../../errors';
import {
  fromWire,
  type ChunkCounters,
  type MainToWorker,
  type ScanWorkerData,
  type Transport,
  type WorkerToMain,
} from './protocol';
import type { RecordScanRequest, RecordScanResult } from '../types';
import { packRecords, packedTransferList } from './packed';

/** Why a thread stopped. Only the class of error is kept: an error message may quote record data. */
export type DeathReason =
  | { kind: 'uncaught'; errorName: string }
  | { kind: 'out-of-memory' }
  | { kind: 'exit'; exitCode: number }
  | { kind: 'timeout'; budgetMs: number }
  | { kind: 'protocol'; detail: string }
  /** The records could not be posted (not structured-cloneable); the worker itself is fine. */
  | { kind: 'unsendable'; errorName: string }
  /** Queued behind the task the thread died on (or stopped with the thread): never started. */
  | { kind: 'not-run' };

export type TaskOutcome =
  { ok: true; results: RecordScanResult[]; counters: ChunkCounters } | { ok: false; reason: DeathReason };

export interface PoolWorkerSpawn {
  id: number;
  generation: number;
  script: string;
  data: ScanWorkerData;
  maxOldGenerationSizeMb: number;
  startTimeoutMs: number;
  transport: Transport;
  /** Tasks posted to the thread at once (the first runs, the rest wait in its queue). */
  tasksPerWorker: number;
  /** Called once when the thread is gone for any reason other than `terminate()` by the pool. */
  onDeath: (w: PoolWorker, reason: DeathReason) => void;
}

type State = 'starting' | 'ready' | 'dead';

interface Task {
  id: number;
  expected: number;
  budgetMs: number;
  resolve: (o: TaskOutcome) => void;
  /** Armed while the task is the oldest outstanding one, i.e. the one the thread runs. */
  timer: NodeJS.Timeout | undefined;
}

const encoder = new TextEncoder();

export class PoolWorker {
  readonly id: number;
  readonly generation: number;
  /** Resolves with the ruleset version once the engine is built; rejects with SLUICE_ENGINE_START_FAILED. */
  readonly ready: Promise<string>;
  private state: State = 'starting';
  private readonly thread: Worker;
  private readonly spawn: PoolWorkerSpawn;
  private nextTaskId = 1;
  /** Posted and not answered, oldest first (the thread answers in order). */
  private readonly tasks: Task[] = [];
  /** The thread writes the id of the task it is scanning here (0 between tasks). */
  private readonly current = new Int32Array(new SharedArrayBuffer(4));
  private deliberate = false;
  /** Set while starting: clears the start timer and settles `ready` when the pool terminates us first. */
  private abortStart: (() => void) | undefined;

  constructor(spawn: PoolWorkerSpawn) {
    this.id = spawn.id;
    this.generation = spawn.generation;
    this.spawn = spawn;
    this.thread = new Worker(spawn.script, {
      workerData: { ...spawn.data, currentTask: this.current.buffer as SharedArrayBuffer },
      resourceLimits: { maxOldGenerationSizeMb: spawn.maxOldGenerationSizeMb },
      // The OS thread name (`top -H`, /proc/<pid>/task/*/comm; Linux keeps 15 chars).
      name: `sluice-scan-${spawn.id}`,
      // Worker stdout/stderr stay attached to the process; the engine must not print payloads.
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise<string>((resolve, reject) => {
      const fail = (message: string, cause?: unknown): void => {
        clearTimeout(startTimer);
        this.abortStart = undefined;
        this.thread.off('message', onMessage);
        this.state = 'dead';
        this.deliberate = true;
        void this.thread.terminate();
        reject(
          new SluiceError(
            ErrorCodes.ENGINE_START_FAILED,
            `scan worker ${this.id} (generation ${this.generation}) failed to start: ${message}`,
            {
              hint:
                'check the rules and engine options; the engine module was ' + spawn.data.engineModulePath,
              cause,
            },
          ),
        );
      };
      const startTimer = setTimeout(
        () => fail(`engine not ready within ${spawn.startTimeoutMs} ms`),
        spawn.startTimeoutMs,
      );
      this.abortStart = () => {
        clearTimeout(startTimer);
        reject(
          new SluiceError(
            ErrorCodes.SHUTTING_DOWN,
            `scan worker ${this.id} was stopped before its engine was ready`,
          ),
        );
      };
      const onMessage = (msg: WorkerToMain): void => {
        if (this.state !== 'starting') return; // terminated by the pool while the engine was building
        if (msg.type === 'ready') {
          clearTimeout(startTimer);
          this.abortStart = undefined;
          this.thread.off('message', onMessage);
          this.thread.on('message', (m: WorkerToMain) => this.onResult(m));
          this.state = 'ready';
          resolve(msg.rulesetVersion);
        } else if (msg.type === 'init-failed') {
          fail(`${msg.errorName}: ${msg.message}`);
        }
      };
      this.thread.on('message', onMessage);
      this.thread.on('error', (err: Error) => {
        if (this.state === 'starting') fail(`thread error ${err.name}: ${err.message}`, err);
        else this.die(classifyError(err));
      });
      this.thread.on('exit', (code: number) => {
        if (this.state === 'starting') fail(`thread exited with code ${code} before the engine was ready`);
        else this.die({ kind: 'exit', exitCode: code });
      });
    });
    // The pool awaits `ready`; this keeps an unobserved rejection (worker dropped mid-start) from crashing the process.
    this.ready.catch(() => undefined);
  }

  /** Ready with nothing outstanding. */
  get isIdle(): boolean {
    return this.state === 'ready' && this.tasks.length === 0;
  }

  /** Ready with at least one task outstanding. */
  get isBusy(): boolean {
    return this.state === 'ready' && this.tasks.length > 0;
  }

  /** Ready and below its tasksPerWorker: run() may be called. */
  get canTake(): boolean {
    return this.state === 'ready' && this.tasks.length < this.spawn.tasksPerWorker;
  }

  /** Tasks posted and not answered yet. */
  get outstanding(): number {
    return this.tasks.length;
  }

  get isDead(): boolean {
    return this.state === 'dead';
  }

  /**
   * The worker isolate's V8 heap (used and committed bytes), or null when it is not running or
   * exits before it answers. A worker busy in a long scan answers after it: the pool bounds the wait.
   */
  async heapStatistics(): Promise<{ used: number; total: number } | null> {
    if (this.state !== 'ready') return null;
    try {
      const s = await this.thread.getHeapStatistics();
      return { used: s.used_heap_size, total: s.total_heap_size };
    } catch {
      return null; // exited meanwhile
    }
  }

  /**
   * Runs one chunk; never rejects. A task's time budget starts when it is the oldest outstanding
   * one (the thread is running it); on a timeout the thread is terminated (a busy loop cannot be
   * interrupted any other way) and the outcome says so.
   */
  run(records: RecordScanRequest[], budgetMs: number): Promise<TaskOutcome> {
    if (!this.canTake) throw new Error(`pool bug: run() on a worker that cannot take a task (${this.state})`);
    const id = this.nextTaskId++;
    return new Promise<TaskOutcome>((resolve) => {
      const task: Task = { id, expected: records.length, budgetMs, resolve, timer: undefined };
      try {
        if (this.spawn.transport === 'packed') {
          const packed = packRecords(records);
          this.thread.postMessage(
            { type: 'scan-packed', taskId: id, packed } satisfies MainToWorker,
            packedTransferList(packed),
          );
        } else if (this.spawn.transport === 'transfer') {
          const encoded = encoder.encode(JSON.stringify(records));
          this.thread.postMessage({ type: 'scan-encoded', taskId: id, encoded } satisfies MainToWorker, [
            encoded.buffer,
          ]);
        } else {
          this.thread.postMessage({ type: 'scan', taskId: id, records } satisfies MainToWorker);
        }
      } catch (err) {
        // Nothing reached the thread, so it stays usable; the pool isolates the record that cannot be sent.
        resolve({
          ok: false,
          reason: { kind: 'unsendable', errorName: err instanceof Error ? err.name : typeof err },
        });
        return;
      }
      this.tasks.push(task);
      if (this.tasks.length === 1) this.arm(task);
    });
  }

  /** Stops the thread on purpose (reload, close, replacing a failed start); no death is reported. */
  async terminate(): Promise<void> {
    this.deliberate = true;
    this.settleAll({ kind: 'exit', exitCode: 1 });
    this.abortStart?.();
    this.abortStart = undefined;
    this.state = 'dead';
    await this.thread.terminate();
  }

  private arm(task: Task): void {
    task.timer = setTimeout(() => this.die({ kind: 'timeout', budgetMs: task.budgetMs }), task.budgetMs);
  }

  private onResult(msg: WorkerToMain): void {
    const task = this.tasks[0];
    if (msg.type !== 'result' || task === undefined || msg.taskId !== task.id) {
      this.die({ kind: 'protocol', detail: `unexpected ${msg.type} message` });
      return;
    }
    if (!Array.isArray(msg.results) || msg.results.length !== task.expected) {
      this.die({ kind: 'protocol', detail: `expected ${task.expected} results` });
      return;
    }
    const results: RecordScanResult[] = new Array<RecordScanResult>(msg.results.length);
    for (let i = 0; i < results.length; i++) {
      const r = fromWire(msg.results[i]!);
      if (r === null) {
        this.die({ kind: 'protocol', detail: `result ${i} is malformed` });
        return;
      }
      results[i] = r;
    }
    this.tasks.shift();
    clearTimeout(task.timer);
    const next = this.tasks[0];
    if (next !== undefined) this.arm(next);
    task.resolve({ ok: true, results, counters: msg.counters });
  }

  /**
   * Settles every outstanding task: the one the thread was running gets `reason`, the others
   * `not-run`. Which one was running: the id the thread wrote into shared memory, except for a
   * timeout or a protocol break, which are the oldest task's own. With no task running (the
   * thread died between two), none is blamed.
   */
  private settleAll(reason: DeathReason): void {
    const tasks = this.tasks.splice(0);
    const running =
      reason.kind === 'timeout' || reason.kind === 'protocol' ? tasks[0]?.id : Atomics.load(this.current, 0);
    for (const t of tasks) {
      clearTimeout(t.timer);
      t.resolve({ ok: false, reason: t.id === running ? reason : { kind: 'not-run' } });
    }
  }

  /** First cause wins: an `error` event is followed by `exit`, and our own terminate() by `exit` too. */
  private die(reason: DeathReason): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    if (reason.kind === 'timeout' || reason.kind === 'protocol') void this.thread.terminate();
    this.settleAll(reason);
    if (!this.deliberate) this.spawn.onDeath(this, reason);
  }
}

function classifyError(err: Error): DeathReason {
  // Node sets this code when resourceLimits end a thread:
  // https://nodejs.org/api/errors.html#err_worker_out_of_memory
  if ((err as Error & { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY')
    return { kind: 'out-of-memory' };
  return { kind: 'uncaught', errorName: err.name || 'Error' };
}

export function describeDeath(reason: DeathReason): string {
  switch (reason.kind) {
    case 'uncaught':
      return `uncaught ${reason.errorName} in the engine`;
    case 'out-of-memory':
      return 'worker heap limit (resourceLimits.maxOldGenerationSizeMb) exceeded';
    case 'exit':
      return `worker exited with code ${reason.exitCode}`;
    case 'timeout':
      return `scan exceeded its ${reason.budgetMs} ms budget`;
    case 'protocol':
      return `worker protocol violation: ${reason.detail}`;
    case 'unsendable':
      return `record could not be sent to a worker (${reason.errorName})`;
    case 'not-run':
      return 'queued behind a task its worker died on';
  }
}
