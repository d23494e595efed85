import { releaseBody, type AnalysedRecord } from '../route/batch-processor';
import type { LocatedFinding } from '../route/decide';
import { SEAM_JOINS } from '../scan/types';
import type { Finding, RecordScanResult, RecordScanRequest, RecordScanner } from '../scan/types';
import type { PartitionHoldback, PreparedIngest } from './holdback';
import { InputCursor, countBelow, releasablePrefix, settleOldest, unsettledCount } from './head-of-line';
import { ownCopy } from '../own-copy';

/**
 * Chat context across messages (DESIGN "Context that spans records"): a secret split over two
 * consecutive messages of a conversation, or a "the password is" in one message and the value
 * in the next. Each message is held until the next message of its conversation arrives (or an
 * idle gap passes), and the seam between the two is scanned as one text; a finding that needs
 * both sides is given to each message it touches. Holding the previous message is what makes
 * the window survive restarts: it is not committed, so a new owner re-reads it.
 */
export interface ChatWindowOptions {
  source: string;
  scanner: RecordScanner;
  /** How long a message waits for the next one of its conversation (0: no hold, context only). */
  holdMs: number;
  /** Characters taken from each side of the seam. */
  seamChars: number;
  maxQueued: number;
  /** Conversations whose last message is remembered as context after release (LRU). */
  maxConversations: number;
  /** Records before the committed offset a new owner re-reads as context (0: none). */
  contextRecords?: number;
  /**
   * Held clean messages drop their decoded value and texts until released (`releaseBody`;
   * default true). Off only in tests, which compare the two.
   */
  releaseHeldBodies?: boolean;
  now?: () => number;
}

interface Entry {
  a: AnalysedRecord;
  offset: bigint;
  settled: boolean;
  span?: { lastOffset: bigint };
  arrivedAt: number;
  eventTs: number;
  conv: string | null;
  /** Index of the `text` leaf in the record's texts, -1 when absent. */
  leaf: number;
  /** Length of that leaf's text (its body may be released while the entry is held). */
  leafLength: number;
}

/** The chat message text's path (the leaf seams are made of). */
const LEAF_PATH = 'value.text';

interface Seam {
  prev: Previous;
  cur: Entry;
  curText: string;
  prevPart: string;
  curPart: string;
}

interface Previous {
  entry: Entry | null; // null once released: its text is context only
  text: string;
}

export class ChatWindowHoldback implements PartitionHoldback {
  private queue: Entry[] = [];
  private readonly last = new Map<string, Previous>();
  /** Next offset, event-time watermark and last confirmed caught-up time of the partition. */
  private readonly cursor = new InputCursor();
  private readonly now: () => number;

  constructor(private readonly opts: ChatWindowOptions) {
    this.now = opts.now ?? Date.now;
  }

  get heldCount(): number {
    return unsettledCount(this.queue);
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  oldestAgeMs(): number {
    return this.queue.length === 0 ? 0 : this.now() - this.queue[0]!.arrivedAt;
  }

  get fresh(): boolean {
    return this.cursor.fresh;
  }

  /**
   * The last `contextRecords` records before the next committed offset: a new owner re-reads
   * them as context only, so the last message of each recent conversation is known again and
   * the next message's seam is scanned as it would have been without the restart.
   */
  contextFrom(skip: number): bigint | null {
    const k = BigInt(this.opts.contextRecords ?? 0);
    if (k === 0n) return null;
    const next = skip < this.queue.length ? this.queue[skip]!.offset : this.cursor.nextOffset;
    if (next === null) return null;
    return next > k ? next - k : 0n;
  }

  async ingest(records: readonly AnalysedRecord[], contextBelow?: bigint): Promise<void> {
    const prep = this.prepare(records, contextBelow);
    prep.apply(prep.requests.length > 0 ? await this.opts.scanner.scanBatch(prep.requests) : []);
  }

  /**
   * `ingest` in two halves, so the seam scans can ride in the records' own worker round trip:
   * queues the records and returns the seam texts to scan; `apply` takes their results once the
   * records' own scans are in (it compares seam findings with them).
   */
  prepare(records: readonly AnalysedRecord[], contextBelow?: bigint): PreparedIngest {
    const now = this.now();
    const seams: Seam[] = [];
    const added: Entry[] = [];
    for (const a of records) {
      const admitted = this.cursor.admit(a, now);
      if (!admitted) continue;
      const { offset, eventTs } = admitted;
      const v = a.p.decoded?.value as { conversationId?: unknown } | undefined;
      const conv = !a.p.early && v && typeof v.conversationId === 'string' ? v.conversationId : null;
      const leaf = a.p.texts.findIndex((t) => t.path === LEAF_PATH);
      if (contextBelow !== undefined && offset < contextBelow) {
        // Emitted by the previous owner: only remembered as its conversation's last message.
        if (conv !== null && leaf >= 0)
          this.remember(conv, { entry: null, text: this.tail(a.p.texts[leaf]!.text) });
        continue;
      }
      const leafLength = leaf >= 0 ? a.p.texts[leaf]!.text.length : 0;
      const e: Entry = { a, offset, settled: true, arrivedAt: now, eventTs, conv, leaf, leafLength };
      this.queue.push(e);
      added.push(e);
      if (conv === null || leaf < 0) continue;
      const text = a.p.texts[leaf]!.text;
      const prev = this.last.get(conv);
      if (prev) {
        seams.push({
          prev,
          cur: e,
          curText: text,
          prevPart: prev.text.slice(-this.opts.seamChars),
          curPart: text.slice(0, this.opts.seamChars),
        });
      }
      if (this.opts.holdMs > 0) e.settled = false;
      this.remember(conv, { entry: this.opts.holdMs > 0 ? e : null, text: this.tail(text) });
    }
    // One text per seam: the engine builds the line-break join only when the direct join has a
    // prefilter hit (the result still holds both joins, in SEAM_JOINS order).
    const requests: RecordScanRequest[] = seams.map((s) => ({
      texts: [{ path: 'seam', text: s.prevPart + s.curPart }],
      source: this.opts.source,
      seamAt: s.prevPart.length,
    }));
    return { requests, apply: (results) => this.applySeams(seams, results, added) };
  }

  private applySeams(
    seams: readonly Seam[],
    results: ReadonlyArray<RecordScanResult | undefined>,
    added: readonly Entry[],
  ): void {
    for (let i = 0; i < seams.length; i++) {
      const s = seams[i]!;
      const res = results[i];
      const before = s.cur.a.extra.length;
      if (res && res.ok)
        SEAM_JOINS.forEach((j, k) => res.findings[k]?.forEach((f) => this.attribute(s, f, j.length)));
      // The current message's finding needs the previous one: they are released together, so a
      // new owner re-reading from the committed offset always sees both (see head-of-line).
      if (s.cur.a.extra.length > before && s.prev.entry) {
        const last = s.prev.entry.span?.lastOffset ?? s.prev.entry.offset;
        s.prev.entry.span = { lastOffset: last > s.cur.offset ? last : s.cur.offset };
      }
      // The previous message has now seen its successor: its context is settled.
      if (s.prev.entry) s.prev.entry.settled = true;
    }
    // What stays held for its successor keeps only its input message while it is clean: held
    // records outlive several young-generation GCs, each of which copies them (about 0.9 KB of
    // the ~3.2 KB a queued message took was its decoded value and texts).
    if (this.opts.releaseHeldBodies !== false) for (const e of added) if (!e.settled) releaseBody(e.a);
    // Bounded: past the limit the oldest held messages settle without waiting for a successor.
    settleOldest(this.queue, this.opts.maxQueued);
  }

  async tick(): Promise<void> {
    for (const e of this.queue) {
      if (e.settled) continue;
      const waited = Math.max(this.cursor.watermark - e.eventTs, this.cursor.caughtUpAt - e.arrivedAt);
      if (waited >= this.opts.holdMs) e.settled = true;
    }
  }

  markCaughtUp(highWatermark: bigint, at: number = this.now()): void {
    this.cursor.markCaughtUp(highWatermark, at);
  }

  releasable(): AnalysedRecord[] {
    return releasablePrefix(this.queue);
  }

  private forgetDropped(dropped: Entry[]): void {
    for (const e of dropped) {
      if (e.conv === null) continue;
      const prev = this.last.get(e.conv);
      if (prev && prev.entry === e) prev.entry = null;
    }
  }

  /** Forgets queued records below `offset`: another owner emitted them. */
  dropBelow(offset: bigint): void {
    const n = countBelow(this.queue, offset);
    if (n === 0) return;
    const dropped = this.queue.splice(0, n);
    this.cursor.skipTo(offset);
    this.forgetDropped(dropped);
  }

  commitReleased(n: number): void {
    for (const e of this.queue.splice(0, n)) {
      if (e.conv === null) continue;
      const prev = this.last.get(e.conv);
      if (prev && prev.entry === e) prev.entry = null; // released: context only from now on
    }
  }

  /**
   * The end of a message kept as its conversation's context: its own copy when it is a slice, or
   * up to `maxConversations` tails of long messages would keep the whole messages alive.
   */
  private tail(text: string): string {
    return text.length > this.opts.seamChars ? ownCopy(text.slice(-this.opts.seamChars)) : text;
  }

  private remember(conv: string, p: Previous): void {
    this.last.delete(conv);
    this.last.set(conv, p);
    if (this.last.size > this.opts.maxConversations) {
      const oldest = this.last.keys().next().value as string;
      this.last.delete(oldest);
    }
  }

  /** A seam finding goes to each side it touches, unless that side's own scan already had it. */
  private attribute(
    s: { prev: Previous; cur: Entry; prevPart: string; curText: string },
    f: Finding,
    joinLength: number,
  ): void {
    const split = s.prevPart.length;
    const curStart = split + joinLength;
    const prevTextLen = s.prev.entry ? s.prev.entry.leafLength : 0;
    // Current message side.
    if (f.end > curStart) {
      const start = Math.max(0, f.start - curStart);
      const end = Math.min(s.curText.length, f.end - curStart);
      this.add(s.cur, f, start, end);
    }
    // Previous message side (only while it is still held: a released one cannot change).
    if (f.start < split && s.prev.entry) {
      const offset = prevTextLen - split;
      this.add(s.prev.entry, f, offset + f.start, offset + Math.min(split, f.end));
    }
  }

  private add(e: Entry, f: Finding, start: number, end: number): void {
    if (end <= start) return;
    const own = e.a.findings?.[e.leaf] ?? [];
    for (const o of own) if (o.ruleId === f.ruleId && o.start <= start && o.end >= end) return;
    for (const o of e.a.extra) if (o.ruleId === f.ruleId && o.start === start && o.end === end) return;
    const lf: LocatedFinding = { ...f, start, end, path: LEAF_PATH, textIndex: e.leaf };
    e.a.extra.push(lf);
  }
}
