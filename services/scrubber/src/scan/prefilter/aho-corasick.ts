/**
 * Aho-Corasick automaton over ASCII-lowercased keywords, compiled to a dense DFA.
 * Reference: Aho & Corasick, "Efficient string matching", CACM 18(6), 1975.
 *
 * Layout, for the scan loop (profiled: the table lookup was most of the clean-text cost):
 * - a compact alphabet: `column[charCode]` maps each ASCII char that occurs in a keyword (A-Z
 *   folded onto a-z) to its own column and every other char to column 0, so a row has ~50
 *   columns instead of 128 and the table stays in cache (~0.6 MB for the built-in rules, not 1.6);
 * - transitions hold the target's row offset (state * stride), so a step is one add and one load;
 * - a target state with outputs is stored as ~offset (negative): the hit test is a sign check,
 *   with no second array read per char.
 * Non-ASCII input chars reset to the root (keywords are ASCII).
 */
export class AhoCorasick {
  /**
   * Dense transition table, `stride` columns per state: `next[row + column[c]]` is the target's
   * row offset (state * stride), or ~offset when the target has outputs. Start at row 0.
   */
  readonly next: Int32Array;
  /** ASCII char -> column (0 = a char no keyword contains). */
  readonly column: Uint8Array;
  readonly stride: number;
  /** Keyword ids ending at a state: outList[outStart[s] .. outStart[s+1]). */
  readonly outStart: Int32Array;
  readonly outList: Int32Array;
  /** Per keyword id, its length in chars. */
  readonly lengths: Int32Array;
  readonly stateCount: number;

  constructor(keywords: readonly string[]) {
    const children: Array<Map<number, number>> = [new Map()];
    const own: number[][] = [[]];
    this.lengths = new Int32Array(keywords.length);
    keywords.forEach((kw, id) => {
      const lower = kw.toLowerCase();
      this.lengths[id] = lower.length;
      let s = 0;
      for (let i = 0; i < lower.length; i++) {
        const c = lower.charCodeAt(i);
        if (c >= 128) throw new Error(`keyword ${JSON.stringify(kw)} is not ASCII`);
        let t = children[s]!.get(c);
        if (t === undefined) {
          t = children.length;
          children.push(new Map());
          own.push([]);
          children[s]!.set(c, t);
        }
        s = t;
      }
      own[s]!.push(id);
    });
    const n = children.length;
    this.stateCount = n;
    // Columns: one per distinct keyword char (lower-case), upper case sharing its lower-case column.
    const column = new Uint8Array(128);
    let stride = 1;
    for (const m of children) for (const c of m.keys()) if (column[c] === 0) column[c] = stride++;
    for (let c = 65; c <= 90; c++) column[c] = column[c + 32]!;
    this.column = column;
    this.stride = stride;
    // Build over states first (next[s * stride + col] = target state), then rewrite as offsets.
    const next = new Int32Array(n * stride);
    const fail = new Int32Array(n);
    const outputs: number[][] = own.map((o) => o.slice());
    const colChar: number[] = [];
    for (let c = 0; c < 128; c++) if (column[c] !== 0 && (c < 65 || c > 90)) colChar[column[c]!] = c;
    // BFS: states in order of depth, so a state's failure target is complete before it.
    const queue: number[] = [];
    for (let col = 1; col < stride; col++) {
      const t = children[0]!.get(colChar[col]!);
      if (t !== undefined) {
        next[col] = t;
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const st = queue[qi]!;
      for (const o of outputs[fail[st]!]!) outputs[st]!.push(o);
      // Column 0 (chars in no keyword) always leads back to the root: next[st * stride] = 0.
      for (let col = 1; col < stride; col++) {
        const t = children[st]!.get(colChar[col]!);
        if (t !== undefined) {
          fail[t] = next[fail[st]! * stride + col]!;
          next[st * stride + col] = t;
          queue.push(t);
        } else {
          next[st * stride + col] = next[fail[st]! * stride + col]!;
        }
      }
    }
    for (let i = 0; i < next.length; i++) {
      const t = next[i]!;
      next[i] = outputs[t]!.length > 0 ? ~(t * stride) : t * stride;
    }
    this.next = next;
    this.outStart = new Int32Array(n + 1);
    let total = 0;
    for (let s = 0; s < n; s++) {
      this.outStart[s] = total;
      total += outputs[s]!.length;
    }
    this.outStart[n] = total;
    this.outList = new Int32Array(total);
    let k = 0;
    for (let s = 0; s < n; s++) for (const o of outputs[s]!) this.outList[k++] = o;
  }
}
