/**
 * The `packed` transport: a chunk's records as one string and a few typed arrays instead of an
 * object graph. Structured clone copies a flat string and typed arrays (whose buffers are moved)
 * far cheaper than thousands of small `{ path, text }` objects, and the main thread, which also
 * runs Kafka I/O, is the one that pays for serialising what it sends.
 */
import type { RecordScanRequest, ScanText } from '../types';

export interface PackedRecords {
  /** Every text of every record, concatenated in order. */
  text: string;
  /** Per text: its length in UTF-16 code units, and its index in `paths`. */
  lengths: Uint32Array;
  pathIds: Uint32Array;
  /** Per record: how many texts it has, and its index in `sources`. */
  textCounts: Uint32Array;
  sourceIds: Uint32Array;
  /** Per record: its `seamAt`, or -1 when it is not a seam request. */
  seamAts: Int32Array;
  /** Distinct paths and sources of the chunk. */
  paths: string[];
  sources: string[];
}

function interner(list: string[]): (s: string) => number {
  const ids = new Map<string, number>();
  return (s) => {
    let id = ids.get(s);
    if (id === undefined) {
      id = list.length;
      list.push(s);
      ids.set(s, id);
    }
    return id;
  };
}

export function packRecords(records: readonly RecordScanRequest[]): PackedRecords {
  let textTotal = 0;
  for (const r of records) textTotal += r.texts.length;
  const paths: string[] = [];
  const sources: string[] = [];
  const pathId = interner(paths);
  const sourceId = interner(sources);
  const lengths = new Uint32Array(textTotal);
  const pathIds = new Uint32Array(textTotal);
  const textCounts = new Uint32Array(records.length);
  const sourceIds = new Uint32Array(records.length);
  const seamAts = new Int32Array(records.length).fill(-1);
  const parts: string[] = new Array<string>(textTotal);
  let t = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    textCounts[i] = r.texts.length;
    sourceIds[i] = sourceId(r.source);
    if (r.seamAt !== undefined) {
      // Checked here as in the engine: an index outside the int32 range would wrap.
      if (!Number.isInteger(r.seamAt) || r.seamAt < 0 || r.seamAt > 0x7fffffff)
        throw new TypeError('a scan request seamAt is not a non-negative integer');
      seamAts[i] = r.seamAt;
    }
    for (const x of r.texts) {
      // What clone would refuse (DataCloneError) is refused here too: the pool isolates the record.
      if (typeof x.text !== 'string' || typeof x.path !== 'string')
        throw new TypeError('a scan request text or path is not a string');
      parts[t] = x.text;
      lengths[t] = x.text.length;
      pathIds[t] = pathId(x.path);
      t++;
    }
  }
  return { text: parts.join(''), lengths, pathIds, textCounts, sourceIds, seamAts, paths, sources };
}

export function unpackRecords(p: PackedRecords): RecordScanRequest[] {
  const out: RecordScanRequest[] = new Array<RecordScanRequest>(p.textCounts.length);
  let t = 0;
  let at = 0;
  for (let i = 0; i < p.textCounts.length; i++) {
    const n = p.textCounts[i]!;
    const texts: ScanText[] = new Array<ScanText>(n);
    for (let k = 0; k < n; k++, t++) {
      const len = p.lengths[t]!;
      texts[k] = { path: p.paths[p.pathIds[t]!]!, text: p.text.slice(at, at + len) };
      at += len;
    }
    const seamAt = p.seamAts[i]!;
    out[i] =
      seamAt >= 0
        ? { texts, source: p.sources[p.sourceIds[i]!]!, seamAt }
        : { texts, source: p.sources[p.sourceIds[i]!]! };
  }
  if (t !== p.lengths.length || at !== p.text.length)
    throw new Error(
      `packed records are inconsistent: ${t}/${p.lengths.length} texts, ${at}/${p.text.length} chars`,
    );
  return out;
}

/** The typed arrays' buffers, moved (not copied) to the worker. */
export function packedTransferList(p: PackedRecords): ArrayBuffer[] {
  return [
    p.lengths.buffer,
    p.pathIds.buffer,
    p.textCounts.buffer,
    p.sourceIds.buffer,
    p.seamAts.buffer,
  ] as ArrayBuffer[];
}
