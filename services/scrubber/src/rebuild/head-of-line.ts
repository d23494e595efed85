import type { AnalysedRecord } from '../route/batch-processor';

/** What both hold-backs queue per record (offset order): the record and whether it is settled. */
export interface QueuedRecord {
  a: AnalysedRecord;
  offset: bigint;
  settled: boolean;
  /**
   * This record's verdict was decided together with later records (a run of typing, a chat seam
   * with a finding): it may only be released in the same transaction as every record up to
   * `lastOffset`. Released alone, a crash before the rest commits would leave a new owner to
   * re-read only the tail, rebuild it without its start, and miss the finding.
   */
  span?: { lastOffset: bigint };
}

/**
 * Length of the head of the queue that may be released now, in order: every record in it is
 * settled, and no record in it was decided together with a record outside it. The committed
 * offset then never falls inside a group decided together.
 */
export function releasableLength(queue: readonly QueuedRecord[]): number {
  let reach = -1n;
  let n = 0;
  for (let i = 0; i < queue.length; i++) {
    const e = queue[i]!;
    if (!e.settled) break;
    const end = e.span && e.span.lastOffset > e.offset ? e.span.lastOffset : e.offset;
    if (end > reach) reach = end;
    if (reach <= e.offset) n = i + 1;
  }
  return n;
}

/** Records still held (not settled), wherever they stand in the queue. */
export function unsettledCount(queue: readonly QueuedRecord[]): number {
  let n = 0;
  for (const e of queue) if (!e.settled) n++;
  return n;
}

/** The releasable head's records (the queue is not changed). */
export function releasablePrefix(queue: readonly QueuedRecord[]): AnalysedRecord[] {
  return queue.slice(0, releasableLength(queue)).map((e) => e.a);
}

/** How many head records lie below `offset`. */
export function countBelow(queue: readonly QueuedRecord[], offset: bigint): number {
  let n = 0;
  while (n < queue.length && queue[n]!.offset < offset) n++;
  return n;
}
