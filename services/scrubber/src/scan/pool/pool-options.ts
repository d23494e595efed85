/**
 * WorkerPool options: validated once at construction into a frozen object (STYLE habit 3).
 * Defaults sit next to the checks; an error names the key, the bad value and the expected form.
 */
import { availableParallelism } from 'node:os';
import { ErrorCodes, SluiceError } from '../../errors';
import type { Transport } from './protocol';

export interface WorkerPoolOptions {
  /** Options for the engine factory, e.g. `{ fingerprintKey, ruleDirs }`. Must be structured-cloneable. */
  engineOptions: Record<string, unknown>;
  /** Engine module to load in each worker. Default: the compiled `scan/engine.js` next to this pool. */
  engineModulePath?: string;
  /** Worker threads. Default `os.availableParallelism()`. */
  workers?: number;
  /** Batches admitted at once (scanning or waiting for a worker); `scanBatch` awaits room beyond that. Default 4. */
  maxQueuedBatches?: number;
  /** A chunk (one task) holds at most this many records. Default 256. */
  maxChunkRecords?: number;
  /** ...and at most this many UTF-16 code units of text, unless one record alone is larger. Default 1 Mi. */
  maxChunkChars?: number;
  /** Per-task time budget = base + perMiB x (chunk text in MiB). Defaults 10 000 ms + 5 000 ms/MiB. */
  taskTimeoutBaseMs?: number;
  taskTimeoutPerMiBMs?: number;
  /** A worker that is not ready this long after spawn counts as failed to start. Default 120 000 ms. */
  startTimeoutMs?: number;
  /** V8 old-generation heap cap per worker; exceeding it kills only that worker. Default 512. */
  maxOldGenerationSizeMb?: number;
  /** How records reach workers; see protocol.ts. Default `packed`: half the main-thread cost of `clone` per record (test/scan/pool/bench/pool-overhead.cjs). */
  transport?: Transport;
  /** How long `close()` waits for admitted batches before terminating workers. Default 30 000 ms. */
  closeTimeoutMs?: number;
  /**
   * Chunks handed to one worker at a time, the first running and the others waiting in its
   * message queue, so a worker never idles while the main thread (Kafka I/O, routing) is too busy
   * to hand it the next one. 1 = one at a time. Default 2.
   */
  tasksPerWorker?: number;
}

export interface ResolvedPoolOptions {
  readonly engineOptions: Record<string, unknown>;
  readonly engineModulePath: string | undefined;
  readonly workers: number;
  readonly maxQueuedBatches: number;
  readonly maxChunkRecords: number;
  readonly maxChunkChars: number;
  readonly taskTimeoutBaseMs: number;
  readonly taskTimeoutPerMiBMs: number;
  readonly startTimeoutMs: number;
  readonly maxOldGenerationSizeMb: number;
  readonly transport: Transport;
  readonly closeTimeoutMs: number;
  readonly tasksPerWorker: number;
}

const KNOWN_KEYS = new Set<string>([
  'engineOptions',
  'engineModulePath',
  'workers',
  'maxQueuedBatches',
  'maxChunkRecords',
  'maxChunkChars',
  'taskTimeoutBaseMs',
  'taskTimeoutPerMiBMs',
  'startTimeoutMs',
  'maxOldGenerationSizeMb',
  'transport',
  'closeTimeoutMs',
  'tasksPerWorker',
]);

function invalid(key: string, value: unknown, expected: string): SluiceError {
  // Only the type/number is echoed: engineOptions may hold key material.
  const shown = typeof value === 'number' || typeof value === 'string' ? JSON.stringify(value) : typeof value;
  return new SluiceError(
    ErrorCodes.CONFIG_INVALID,
    `worker pool option ${key} = ${shown} is invalid: expected ${expected}`,
  );
}

function int(opts: WorkerPoolOptions, key: keyof WorkerPoolOptions, dflt: number, min: number): number {
  const v = opts[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalid(key, v, `an integer >= ${min}`);
  return v;
}

/** Checks that engine options survive the trip to a worker, so the error surfaces here and not in every worker. */
export function assertCloneable(engineOptions: unknown, key = 'engineOptions'): Record<string, unknown> {
  if (typeof engineOptions !== 'object' || engineOptions === null || Array.isArray(engineOptions)) {
    throw invalid(key, engineOptions, 'an object of engine options');
  }
  try {
    structuredClone(engineOptions);
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `worker pool option ${key} cannot be sent to a worker thread: expected plain data (strings, numbers, Buffers, arrays, objects), no functions or class instances`,
      { cause: err },
    );
  }
  return engineOptions as Record<string, unknown>;
}

export function resolvePoolOptions(opts: WorkerPoolOptions): ResolvedPoolOptions {
  for (const k of Object.keys(opts)) {
    if (!KNOWN_KEYS.has(k)) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `unknown worker pool option ${k}: expected one of ${[...KNOWN_KEYS].join(', ')}`,
      );
    }
  }
  const engineOptions = assertCloneable(opts.engineOptions);
  if (
    opts.engineModulePath !== undefined &&
    (typeof opts.engineModulePath !== 'string' || opts.engineModulePath === '')
  ) {
    throw invalid('engineModulePath', opts.engineModulePath, 'an absolute path to a CommonJS engine module');
  }
  const transport = opts.transport ?? 'packed';
  if (transport !== 'clone' && transport !== 'transfer' && transport !== 'packed')
    throw invalid('transport', transport, "'packed', 'clone' or 'transfer'");
  return Object.freeze({
    engineOptions,
    engineModulePath: opts.engineModulePath,
    workers: int(opts, 'workers', availableParallelism(), 1),
    maxQueuedBatches: int(opts, 'maxQueuedBatches', 4, 1),
    maxChunkRecords: int(opts, 'maxChunkRecords', 256, 1),
    maxChunkChars: int(opts, 'maxChunkChars', 1024 * 1024, 1),
    taskTimeoutBaseMs: int(opts, 'taskTimeoutBaseMs', 10_000, 1),
    taskTimeoutPerMiBMs: int(opts, 'taskTimeoutPerMiBMs', 5_000, 0),
    startTimeoutMs: int(opts, 'startTimeoutMs', 120_000, 1),
    maxOldGenerationSizeMb: int(opts, 'maxOldGenerationSizeMb', 512, 8),
    transport,
    closeTimeoutMs: int(opts, 'closeTimeoutMs', 30_000, 0),
    tasksPerWorker: int(opts, 'tasksPerWorker', 2, 1),
  });
}

/** The time budget of one task: a fixed part for dispatch and GC, plus a part linear in text size (RE2 is linear). */
export function taskBudgetMs(opts: ResolvedPoolOptions, textChars: number): number {
  return Math.ceil(opts.taskTimeoutBaseMs + (opts.taskTimeoutPerMiBMs * textChars) / (1024 * 1024));
}
