/**
 * Messages between the pool (main thread) and a scan worker. Plain data only:
 * everything here crosses a worker_threads port by structured clone.
 */
import type { Finding, RecordScanRequest, RecordScanResult } from '../types';
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
  | { type: 'result'; taskId: number; results: WireScanResult[]; counters: ChunkCounters };

/**
 * A scan result as it crosses the port. A record with no finding in any text (nearly all of
 * them) travels as its text count: structured clone would otherwise rebuild an empty array per
 * text and one around them in the main isolate, and those live until the record's transaction
 * commits (young-generation GC copies each of them). `fromWire` shares one frozen list per count.
 */
export type WireScanResult = RecordScanResult | { ok: true; cleanTexts: number; scanNanos: number };

export function toWire(r: RecordScanResult): WireScanResult {
  if (!r.ok) return r;
  for (const list of r.findings) if (list.length > 0) return r;
  return { ok: true, cleanTexts: r.findings.length, scanNanos: r.scanNanos };
}

const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[];
/** Shared all-empty findings lists by text count (records have a handful of texts). */
const cleanLists: Finding[][][] = [];
const CLEAN_LISTS_MAX = 256;

function cleanFindings(n: number): Finding[][] {
  if (n >= CLEAN_LISTS_MAX) return Array.from({ length: n }, () => NO_FINDINGS);
  let l = cleanLists[n];
  if (l === undefined) {
    l = Object.freeze(Array.from({ length: n }, () => NO_FINDINGS)) as unknown as Finding[][];
    cleanLists[n] = l;
  }
  return l;
}

/** The result `toWire` encoded; null when `w` is neither form (a protocol error). */
export function fromWire(w: WireScanResult): RecordScanResult | null {
  if (typeof w !== 'object' || w === null) return null;
  if ('cleanTexts' in w) {
    const n = w.cleanTexts;
    if (!Number.isInteger(n) || n < 0) return null;
    return { ok: true, findings: cleanFindings(n), scanNanos: w.scanNanos };
  }
  return w;
}
