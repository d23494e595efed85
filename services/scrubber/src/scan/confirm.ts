import { MAX_REGEX_INPUT_CHARS } from './regex-engine';
import type { CompiledRule } from './rules/compiled-rule';

/**
 * Confirm stage: run a rule's RE2 pattern only on bounded windows around its prefilter hits,
 * never on the whole text. A hit [s, e) gives the window [s - maxLength, e + maxLength]
 * (clamped); overlapping windows of one rule are merged; a merged window longer than
 * MAX_REGEX_INPUT_CHARS (a long anchor run, a 50 MB token) is cut into chunks that overlap by
 * 2 * maxLength, so every match of <= maxLength chars lies whole inside some chunk.
 */

/** A confirmed match, UTF-16 offsets into the scanned (normalised) text. */
export interface RawMatch {
  rule: CompiledRule;
  matchStart: number;
  matchEnd: number;
  start: number;
  end: number;
}

/** Merge sorted-by-start windows in place ([s0, e0, s1, e1, ...]); returns the merged pair count. */
export function mergeWindows(w: number[]): number {
  const pairs = w.length / 2;
  if (pairs === 0) return 0;
  // Sort pairs by start (pairs are few; insertion sort keeps this allocation-free when sorted).
  for (let i = 1; i < pairs; i++) {
    const s = w[2 * i]!;
    const e = w[2 * i + 1]!;
    let j = i - 1;
    while (j >= 0 && w[2 * j]! > s) {
      w[2 * j + 2] = w[2 * j]!;
      w[2 * j + 3] = w[2 * j + 1]!;
      j--;
    }
    w[2 * j + 2] = s;
    w[2 * j + 3] = e;
  }
  let k = 0;
  for (let i = 1; i < pairs; i++) {
    const s = w[2 * i]!;
    const e = w[2 * i + 1]!;
    if (s <= w[2 * k + 1]!) {
      if (e > w[2 * k + 1]!) w[2 * k + 1] = e;
    } else {
      k++;
      w[2 * k] = s;
      w[2 * k + 1] = e;
    }
  }
  return k + 1;
}

const scratch: number[] = [];

/** Run `rule` over window [ws, we) of `text`, chunked; pushes matches into `out`. */
export function confirmWindow(
  rule: CompiledRule,
  text: string,
  ws: number,
  we: number,
  out: RawMatch[],
  maxChunk = MAX_REGEX_INPUT_CHARS,
): void {
  const overlap = Math.min(2 * rule.maxLength, maxChunk >> 1);
  let pos = ws;
  let lastEnd = -1;
  while (pos < we) {
    const ce = Math.min(we, pos + maxChunk);
    const last = ce >= we;
    scratch.length = 0;
    const n = rule.pattern.execAll(text.slice(pos, ce), scratch);
    let next = last ? we : Math.max(ce - overlap, pos + 1);
    for (let m = 0; m < n; m++) {
      const ms = pos + scratch[4 * m]!;
      const me = pos + scratch[4 * m + 1]!;
      if (!last && me === ce && ms > pos) {
        // Touches an artificial chunk edge: maybe truncated. Retry from its start in the next chunk.
        next = ms;
        break;
      }
      if (ms < lastEnd) continue; // already found in the previous chunk's overlap
      out.push({
        rule,
        matchStart: ms,
        matchEnd: me,
        start: pos + scratch[4 * m + 2]!,
        end: pos + scratch[4 * m + 3]!,
      });
      lastEnd = me;
    }
    if (!last && lastEnd > next) next = lastEnd;
    pos = next;
  }
}
