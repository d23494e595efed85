/**
 * Aho-Corasick automaton over ASCII-lowercased keywords, compiled to a dense DFA:
 * `next[state * 128 + charCode]`, with A-Z folded onto a-z at build time so the scan loop does
 * no case work. Non-ASCII input chars reset to the root (keywords are ASCII).
 * Reference: Aho & Corasick, "Efficient string matching", CACM 18(6), 1975.
 */
export class AhoCorasick {
  /** Dense transition table, 128 columns per state. */
  readonly next: Int32Array;
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
    const next = new Int32Array(n * 128);
    const fail = new Int32Array(n);
    const outputs: number[][] = own.map((o) => o.slice());
    // BFS: states in order of depth, so a state's failure target is complete before it.
    const queue: number[] = [];
    for (let c = 0; c < 128; c++) {
      const t = children[0]!.get(c);
      if (t !== undefined) {
        next[c] = t;
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      for (const o of outputs[fail[s]!]!) outputs[s]!.push(o);
      for (let c = 0; c < 128; c++) {
        const t = children[s]!.get(c);
        if (t !== undefined) {
          fail[t] = next[fail[s]! * 128 + c]!;
          next[s * 128 + c] = t;
          queue.push(t);
        } else {
          next[s * 128 + c] = next[fail[s]! * 128 + c]!;
        }
      }
    }
    // Fold upper case onto lower case columns.
    for (let s = 0; s < n; s++) {
      for (let c = 65; c <= 90; c++) next[s * 128 + c] = next[s * 128 + c + 32]!;
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
