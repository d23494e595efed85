import type { AnalysedRecord } from '../route/batch-processor';
import type { RecordScanRequest, RecordScanResult } from '../scan/types';

/** The first half of an ingest, see PartitionHoldback.prepare. */
export interface PreparedIngest {
  /** Texts the hold-back needs scanned (sent with the records' own scans). */
  requests: RecordScanRequest[];
  /** Takes their results, in order (undefined: not scanned), after the records' own scans. */
  apply(results: ReadonlyArray<RecordScanResult | undefined>): void;
}

/**
 * A per-partition head-of-line hold: records stay queued (in offset order) until their context
 * is settled; only the settled prefix is released, and offsets are committed no further than
 * it, so a restart re-reads and rebuilds whatever was held (exactly once, no changelog needed).
 */
export interface PartitionHoldback {
  /**
   * Adds newly consumed records in offset order; re-delivered ones are ignored. Records below
   * `contextBelow` were already emitted by a previous owner: they only rebuild context (a run of
   * typing that started before the committed offset) and are never queued or released.
   */
  ingest(records: readonly AnalysedRecord[], contextBelow?: bigint): Promise<void>;
  /**
   * Optional: `ingest` split around the scan, for a hold-back whose own scans can share the
   * records' worker round trip. Called with decoded records whose own scan has not run yet.
   */
  prepare?(records: readonly AnalysedRecord[], contextBelow?: bigint): PreparedIngest;
  /**
   * The earliest offset whose record the decisions of the queued records (after the first
   * `skip`) depend on, or null when they depend on nothing before themselves. Committed with the
   * offset, so a new owner re-reads from there to rebuild the same context.
   */
  contextFrom(skip: number): bigint | null;
  /** Nothing ingested yet: a new owner that may need to re-read context first. */
  readonly fresh: boolean;
  /** The partition's high watermark was just read: at our next offset = fully read now. */
  markCaughtUp(highWatermark: bigint, at?: number): void;
  /** Settles what time has settled (idle gaps, maximum hold). */
  tick(): Promise<void>;
  /** The settled head of the queue (not removed until commitReleased). */
  releasable(): AnalysedRecord[];
  /** Forgets queued records below offset (another owner emitted them). */
  dropBelow(offset: bigint): void;
  /** After the transaction carrying them committed. */
  commitReleased(n: number): void;
  readonly heldCount: number;
  readonly queuedCount: number;
  oldestAgeMs(): number;
}
