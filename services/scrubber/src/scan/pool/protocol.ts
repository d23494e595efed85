/**
 * Messages between the pool (main thread) and a scan worker. Plain data only:
 * everything here crosses a worker_threads port by structured clone.
 */
import type { RecordScanRequest, RecordScanResult } from '../types';
import type { PackedRecords } from './packed';

/** Handed to every worker at spawn time as `workerData`. */
export interface ScanWorkerData {
  /** Absolute path of a CommonJS module exporting `createScanEngine` or `ScanEngine.create`. */
  engineModulePath: string;
  /** Passed to the engine factory; Uint8Array values are revived as Buffers (clone drops the class). */
  engineOptions: Record<string, unknown>;
  /**
   * One Int32: the id of the task the worker is scanning right now, 0 between tasks. Shared
   * memory, so when the thread dies the pool knows which of its queued tasks it was running
   * (the others never started) without relying on the order of its last messages.
   */
  currentTask?: SharedArrayBuffer;
}

/**
 * How request records reach a worker. `clone` posts the objects; `transfer` posts one
 * JSON/UTF-8 buffer and moves its memory instead of copying it; `packed` (the default) posts
 * all texts as one string plus typed arrays (see packed.ts). All are kept so they can be
 * measured against each other, see test/scan/pool/bench/pool-overhead.cjs.
 */
export type Transport = 'clone' | 'transfer' | 'packed';

export type MainToWorker =
  | { type: 'scan'; taskId: number; records: RecordScanRequest[] }
  | { type: 'scan-encoded'; taskId: number; encoded: Uint8Array }
  | { type: 'scan-packed'; taskId: number; packed: PackedRecords };

/** Counters for one chunk, summed per batch by the pool and recorded as metrics by the caller. */
export interface ChunkCounters {
  /** Texts scanned (records x texts per record). */
  texts: number;
  /** UTF-16 code units scanned. */
  textChars: number;
  findings: number;
  /** Findings per rule id, shadow findings included. */
  ruleHits: Record<string, number>;
  /** Sum of the engine's own per-record scan time. */
  scanNanos: number;
  /** Wall time the worker spent on the chunk, decoding included. */
  workerNanos: number;
}

export type WorkerToMain =
  | { type: 'ready'; rulesetVersion: string }
  /** The engine could not be built (bad rules, missing module): the pool reports it and gives up. */
  | { type: 'init-failed'; errorName: string; message: string }
  | { type: 'result'; taskId: number; results: RecordScanResult[]; counters: ChunkCounters };
