import { AhoCorasick } from './prefilter/aho-corasick';
import type { CompiledRule } from './rules/compiled-rule';

/**
 * Which context words occur anywhere in a text, found once per text with one Aho-Corasick pass,
 * so a rule whose required context words are absent from the whole text is skipped without a
 * windowed search. Profiled on log lines: digit runs select ~20 context-gated rules each, and
 * searching every rule's words in every window was the top cost. Non-ASCII words (`身份证`) are
 * looked up in the lower-cased text instead.
 */
export class ContextWords {
  private readonly ac: AhoCorasick;
  /** Per rule index: ids of its ASCII context words (null: the rule has no required context). */
  private readonly ruleWords: (Int32Array | null)[];
  /** Per rule index: ids of its non-ASCII context words (into `others`). */
  private readonly ruleOther: (Int32Array | null)[];
  private readonly others: string[] = [];
  private readonly present: Uint8Array;
  /** Per non-ASCII word for the current text: -1 not looked up yet, 0 absent, 1 present. */
  private readonly otherPresent: Int8Array;
  private scanned = false;
  /** After scan: no context word of any rule can occur in the text. */
  private noneFound = false;

  constructor(rules: readonly CompiledRule[]) {
    const ids = new Map<string, number>();
    this.ruleWords = [];
    this.ruleOther = [];
    for (const r of rules) {
      if (r.context === null || !r.context.required) {
        this.ruleWords[r.index] = null;
        this.ruleOther[r.index] = null;
        continue;
      }
      const mine: number[] = [];
      const other: number[] = [];
      for (const w of r.context.words) {
        if (!/^[\x20-\x7e]+$/.test(w)) {
          let k = this.others.indexOf(w);
          if (k < 0) k = this.others.push(w) - 1;
          other.push(k);
          continue;
        }
        let id = ids.get(w);
        if (id === undefined) ids.set(w, (id = ids.size));
        mine.push(id);
      }
      this.ruleWords[r.index] = Int32Array.from(mine);
      this.ruleOther[r.index] = Int32Array.from(other);
    }
    this.ac = new AhoCorasick([...ids.keys()]);
    this.present = new Uint8Array(ids.size);
    this.otherPresent = new Int8Array(this.others.length);
  }

  /** Call before each new text. */
  reset(): void {
    this.scanned = false;
  }

  /**
   * False when none of the rule's required context words occurs anywhere in `text`. `lower`
   * gives its lower-case form (same length, or the text itself when that is not possible); it
   * is called only when a non-ASCII word has to be looked up, so a timestamp or an id, which
   * the no-word shortcut answers, is never lower-cased.
   */
  mayHaveContext(rule: CompiledRule, text: string, lower: () => string): boolean {
    const mine = this.ruleWords[rule.index];
    if (mine === null || mine === undefined) return true;
    if (!this.scanned) this.scan(text);
    // The common case (a timestamp, an id): no ASCII context word at all, and no non-ASCII char,
    // so no non-ASCII word either. Every context-gated rule of a digit run is skipped here.
    if (this.noneFound) return false;
    for (let i = 0; i < mine.length; i++) if (this.present[mine[i]!] === 1) return true;
    // Each non-ASCII word is searched once per text, not once per rule and hit (that was
    // quadratic on a 1 MB text full of digit runs).
    const other = this.ruleOther[rule.index]!;
    for (let i = 0; i < other.length; i++) {
      const k = other[i]!;
      if (this.otherPresent[k] === -1) this.otherPresent[k] = lower().includes(this.others[k]!) ? 1 : 0;
      if (this.otherPresent[k] === 1) return true;
    }
    return false;
  }

  private scan(text: string): void {
    this.scanned = true;
    this.otherPresent.fill(-1);
    const present = this.present;
    present.fill(0);
    const { next, column, stride, outStart, outList } = this.ac;
    let s = 0;
    let found = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        s = 0;
        found = true; // a non-ASCII word may occur: looked up per word in mayHaveContext
        continue;
      }
      s = next[s + column[c]!]!;
      if (s < 0) {
        s = ~s;
        const st = s / stride;
        for (let j = outStart[st]!; j < outStart[st + 1]!; j++) present[outList[j]!] = 1;
        found = true;
      }
    }
    this.noneFound = !found;
  }
}
