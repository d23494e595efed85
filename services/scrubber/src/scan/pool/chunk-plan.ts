/**
 * Splits a batch into chunks (one worker task each), bounded by record count and by text size
 * so one task's time budget stays meaningful. Chunks are contiguous index ranges: results are
 * written back by index, which keeps them in input order whatever order chunks finish in.
 */
import type { RecordScanRequest } from '../types';

export interface ChunkRange {
  start: number;
  /** Exclusive. */
  end: number;
  /** UTF-16 code units of text in the range: the basis of its time budget. */
  chars: number;
}

/** Text size of one record; UTF-16 length is a cheap, good-enough proxy for scan cost. */
export function recordChars(req: RecordScanRequest): number {
  let n = 0;
  for (let i = 0; i < req.texts.length; i++) n += req.texts[i]!.text.length;
  return n;
}

/**
 * Chunks hold at most `maxRecords` records and `maxChars` characters (a single record larger
 * than that becomes a chunk of its own). A small batch is spread over all workers rather than
 * packed into one chunk, so its latency is not that of one thread.
 */
export function planChunks(
  records: RecordScanRequest[],
  workers: number,
  maxRecords: number,
  maxChars: number,
): ChunkRange[] {
  const perChunk = Math.max(1, Math.min(maxRecords, Math.ceil(records.length / Math.max(1, workers))));
  const chunks: ChunkRange[] = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < records.length; i++) {
    const c = recordChars(records[i]!);
    if (i > start && (i - start >= perChunk || chars + c > maxChars)) {
      chunks.push({ start, end: i, chars });
      start = i;
      chars = 0;
    }
    chars += c;
  }
  if (records.length > start) chunks.push({ start, end: records.length, chars });
  return chunks;
}
