import { ownCopy } from '../own-copy';

/**
 * Short texts a scan found clean, remembered so the same text is not scanned again: header
 * values, enum fields, conversation ids, sender ids and app names repeat on almost every record
 * (a chat record's content-type header cost ~1.3 µs of scan per record, its ids and enums ~1.8
 * more). Only clean texts are kept, so the memo never holds a value a rule matched, and a text
 * with findings is always scanned again. One memo per source policy: the same text can be
 * clean for one source and not for another (per-source rule overrides).
 *
 * Bounded: two generations of at most `perGeneration` texts of at most `maxChars` each. When the
 * current one is full it becomes the previous one and the oldest is dropped; a hit in the
 * previous generation moves the text forward, so texts that keep recurring stay.
 *
 * A text is only kept the second time it is seen clean (a doorkeeper slot remembers a cheap
 * signature of the last text that hashed there). Without it every message id went into the
 * memo: measured on the chat corpus, holding 8,192 one-off UUIDs past their record's life made
 * young-generation GCs copy them and the whole scan got slower, not faster. A signature
 * collision only admits a text early; what the memo answers is always an exact string match.
 */
/** What CleanMemo.check knows of a text. */
export const MemoAnswer = {
  /** Not seen lately (or too long to keep): scan it; it is not kept even if clean. */
  firstSight: 0,
  /** Seen lately but not held: scan it, and `keep` it if it is clean. */
  seen: 1,
  /** Found clean before: no scan needed. */
  clean: 2,
} as const;
export type MemoAnswer = (typeof MemoAnswer)[keyof typeof MemoAnswer];

export class CleanMemo {
  private current = new Set<string>();
  private previous = new Set<string>();
  private readonly door: Int32Array;

  constructor(
    readonly perGeneration: number,
    readonly maxChars: number,
  ) {
    // Four slots per held text, so one-off values seldom push a recurring one out of its slot.
    let slots = 1;
    while (slots < 4 * perGeneration) slots *= 2;
    this.door = new Int32Array(slots);
  }

  /**
   * The doorkeeper first: a text whose signature is not in its slot has not been seen lately, so
   * it is not looked up at all (a one-off id costs a signature, not two Set lookups). A held text
   * whose slot was taken over since only misses once: the scan runs, and the next sight hits.
   */
  check(text: string): MemoAnswer {
    if (text.length > this.maxChars) return MemoAnswer.firstSight;
    const sig = signature(text);
    const slot = sig & (this.door.length - 1);
    if (this.door[slot] !== sig) {
      this.door[slot] = sig;
      return MemoAnswer.firstSight;
    }
    if (this.current.has(text)) return MemoAnswer.clean;
    if (!this.previous.has(text)) return MemoAnswer.seen;
    this.keep(text); // still recurring: carried into the current generation
    return MemoAnswer.clean;
  }

  /** Holds a text that `check` answered `seen` for and that then scanned clean. */
  keep(text: string): void {
    if (this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Set();
    }
    // Its own copy: the texts a worker scans are slices of the chunk's packed string.
    this.current.add(ownCopy(text));
  }

  /** Texts held, both generations (at most 2 × perGeneration). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/**
 * A non-zero 32-bit signature of the length, the last 8 chars (where counters, sequence numbers
 * and timestamps differ) and 4 chars spread over the rest. Cheap by design, not collision-free:
 * ids that differ only elsewhere share a signature and are admitted on first sight.
 */
function signature(text: string): number {
  const n = text.length;
  let h = Math.imul(n, 0x9e3779b1);
  const tail = Math.max(0, n - 8);
  for (let i = n - 1; i >= tail; i--) h = mix(h, text.charCodeAt(i));
  for (let k = 0; k < 4 && tail > 0; k++) h = mix(h, text.charCodeAt(Math.floor((k * tail) / 4)));
  return h | 1;
}

function mix(h: number, c: number): number {
  const x = Math.imul(h ^ c, 0x85ebca6b);
  return x ^ (x >>> 13);
}
