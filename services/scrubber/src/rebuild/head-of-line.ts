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
  const scan = new HeadScan(queue);
  scan.advance();
  return scan.n;
}

/**
 * The releasable head's scan, resumable: `advance` walks the settled records from where it
 * stopped, tracking how far the spans seen so far reach.
 */
class HeadScan {
  private reach = -1n;
  /** Length of the releasable head among the records scanned so far. */
  n = 0;
  /** First record not scanned: the first unsettled one once `advance` returns. */
  p = 0;

  constructor(private readonly queue: readonly QueuedRecord[]) {}

  advance(): void {
    const q = this.queue;
    for (; this.p < q.length && q[this.p]!.settled; this.p++) {
      const e = q[this.p]!;
      const end = e.span && e.span.lastOffset > e.offset ? e.span.lastOffset : e.offset;
      if (end > this.reach) this.reach = end;
      if (this.reach <= e.offset) this.n = this.p + 1;
    }
  }
}

/**
 * Settles the oldest records until at most `max` records are outside the releasable head (a
 * hold-back's memory bound). One pass: the head's scan goes on from where it stopped after each
 * record it settles, instead of starting again from the front — with thousands of conversations
 * each waiting for its next message, a rescan per settled record was quadratic in the queue
 * (profiled: 37% of the chat chunk path's CPU in one thread at the 10,000 bound).
 */
export function settleOldest(queue: readonly QueuedRecord[], max: number): void {
  const scan = new HeadScan(queue);
  scan.advance();
  // Records before scan.p are settled already; settling scan.p lets the scan go on.
  while (queue.length - scan.n > max && scan.p < queue.length) {
    queue[scan.p]!.settled = true;
    scan.advance();
  }
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

/**
 * Where a hold-back stands in its input partition: the next offset to ingest (re-delivered records
 * of a retried batch are not held twice), the event-time watermark, and when the partition was
 * last confirmed fully read.
 */
export class InputCursor {
  /** First offset not yet ingested; null before the first record (a fresh hold-back). */
  nextOffset: bigint | null = null;
  /** Newest record timestamp seen on the partition (event-time watermark). */
  watermark = 0;
  /**
   * Wall-clock time at which the partition was last confirmed fully read (its high watermark
   * was at our next offset). Only a confirmed caught-up partition lets the wall clock settle a
   * held record: a partition that merely looks quiet may be unread (broker down, rebalance, a
   * fetch starved behind others) while the rest of a secret sits in it.
   */
  caughtUpAt = 0;

  get fresh(): boolean {
    return this.nextOffset === null;
  }

  /**
   * Takes the record's offset and event time (falling back to `now` without a usable timestamp)
   * and advances past it; null when the record was ingested already.
   */
  admit(a: AnalysedRecord, now: number): { offset: bigint; eventTs: number } | null {
    const offset = BigInt(a.p.msg.offset);
    if (this.nextOffset !== null && offset < this.nextOffset) return null;
    this.nextOffset = offset + 1n;
    const ts = Number(a.p.msg.timestamp);
    const eventTs = Number.isFinite(ts) ? ts : now;
    if (eventTs > this.watermark) this.watermark = eventTs;
    return { offset, eventTs };
  }

  /** Records below `offset` were emitted by another owner: never ingest them. */
  skipTo(offset: bigint): void {
    if (this.nextOffset === null || this.nextOffset < offset) this.nextOffset = offset;
  }

  /** The partition's high watermark as just read: at our next offset, we have read everything. */
  markCaughtUp(highWatermark: bigint, at: number): void {
    if (this.nextOffset !== null && highWatermark <= this.nextOffset)
      this.caughtUpAt = Math.max(this.caughtUpAt, at);
  }
}
