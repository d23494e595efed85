import type { AnalysedRecord } from '../route/batch-processor';

/** What both hold-backs queue per record (offset order): the record and whether it is settled. */
export interface QueuedRecord {
  a: AnalysedRecord;
  offset: bigint;
  settled: boolean;
}

/** Length of the settled head of the queue: what may be released, in order. */
export function settledPrefixLength(queue: readonly QueuedRecord[]): number {
  let n = 0;
  while (n < queue.length && queue[n]!.settled) n++;
  return n;
}

/** Records still held (not settled), wherever they stand in the queue. */
export function unsettledCount(queue: readonly QueuedRecord[]): number {
  let n = 0;
  for (const e of queue) if (!e.settled) n++;
  return n;
}

/** The settled head's records (the queue is not changed). */
export function settledPrefix(queue: readonly QueuedRecord[]): AnalysedRecord[] {
  return queue.slice(0, settledPrefixLength(queue)).map((e) => e.a);
}

/** How many head records lie below `offset`. */
export function countBelow(queue: readonly QueuedRecord[], offset: bigint): number {
  let n = 0;
  while (n < queue.length && queue[n]!.offset < offset) n++;
  return n;
}
