/**
 * One worker thread and its life: starting -> idle <-> busy -> dead.
 * It runs one task at a time and turns every way a thread can fail into a TaskOutcome,
 * so the pool's failure rules live in one place (worker-pool.ts) and never see raw events.
 */
import { Worker } from 'node:worker_threads';
import { ErrorCodes, SluiceError } from '../../errors';
import type { ChunkCounters, MainToWorker, ScanWorkerData, Transport, WorkerToMain } from './protocol';
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
  | { kind: 'unsendable'; errorName: string };

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
  /** Called once when the thread is gone for any reason other than `terminate()` by the pool. */
  onDeath: (w: PoolWorker, reason: DeathReason) => void;
}

type State = 'starting' | 'idle' | 'busy' | 'dead';

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
  private task:
    { id: number; expected: number; resolve: (o: TaskOutcome) => void; timer: NodeJS.Timeout } | undefined;
  private deliberate = false;
  /** Set while starting: clears the start timer and settles `ready` when the pool terminates us first. */
  private abortStart: (() => void) | undefined;

  constructor(spawn: PoolWorkerSpawn) {
    this.id = spawn.id;
    this.generation = spawn.generation;
    this.spawn = spawn;
    this.thread = new Worker(spawn.script, {
      workerData: spawn.data,
      resourceLimits: { maxOldGenerationSizeMb: spawn.maxOldGenerationSizeMb },
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
          this.state = 'idle';
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

  get isIdle(): boolean {
    return this.state === 'idle';
  }

  get isBusy(): boolean {
    return this.state === 'busy';
  }

  get isDead(): boolean {
    return this.state === 'dead';
  }

  /**
   * Runs one chunk; never rejects. On a timeout the thread is terminated (a busy loop cannot be
   * interrupted any other way) and the outcome says so.
   */
  run(records: RecordScanRequest[], budgetMs: number): Promise<TaskOutcome> {
    if (this.state !== 'idle') throw new Error(`pool bug: run() on a ${this.state} worker`);
    this.state = 'busy';
    const id = this.nextTaskId++;
    return new Promise<TaskOutcome>((resolve) => {
      const timer = setTimeout(() => this.die({ kind: 'timeout', budgetMs }), budgetMs);
      this.task = { id, expected: records.length, resolve, timer };
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
        this.state = 'idle';
        this.settle({
          ok: false,
          reason: { kind: 'unsendable', errorName: err instanceof Error ? err.name : typeof err },
        });
      }
    });
  }

  /** Stops the thread on purpose (reload, close, replacing a failed start); no death is reported. */
  async terminate(): Promise<void> {
    this.deliberate = true;
    if (this.task !== undefined) this.settle({ ok: false, reason: { kind: 'exit', exitCode: 1 } });
    this.abortStart?.();
    this.abortStart = undefined;
    this.state = 'dead';
    await this.thread.terminate();
  }

  private onResult(msg: WorkerToMain): void {
    if (msg.type !== 'result' || this.task === undefined || msg.taskId !== this.task.id) {
      this.die({ kind: 'protocol', detail: `unexpected ${msg.type} message` });
      return;
    }
    if (!Array.isArray(msg.results) || msg.results.length !== this.task.expected) {
      this.die({ kind: 'protocol', detail: `expected ${this.task.expected} results` });
      return;
    }
    this.state = 'idle';
    this.settle({ ok: true, results: msg.results, counters: msg.counters });
  }

  private settle(outcome: TaskOutcome): void {
    const task = this.task;
    if (task === undefined) return;
    this.task = undefined;
    clearTimeout(task.timer);
    task.resolve(outcome);
  }

  /** First cause wins: an `error` event is followed by `exit`, and our own terminate() by `exit` too. */
  private die(reason: DeathReason): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    if (reason.kind === 'timeout' || reason.kind === 'protocol') void this.thread.terminate();
    this.settle({ ok: false, reason });
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
  }
}
