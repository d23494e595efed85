import type { Finding } from './types';

const ACTION_RANK = { redact: 1, quarantine: 2 } as const;

/** The text shown in place of a finding: `[LABEL:<first 8 hex of fingerprint>]`. */
export function placeholder(f: Finding): string {
  return `[${f.label}:${f.fingerprint.slice(0, 8)}]`;
}

/**
 * Replace every non-shadow finding's span with its placeholder. Overlapping spans are merged into
 * one replaced span (nothing of either survives), labelled by the strongest, then longest, finding.
 * Every character outside the spans is left unchanged.
 */
export function redactText(text: string, findings: readonly Finding[]): string {
  const live = findings.filter((f) => !f.shadow && f.end > f.start);
  if (live.length === 0) return text;
  live.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  let i = 0;
  while (i < live.length) {
    let best = live[i]!;
    const start = best.start;
    let end = best.end;
    let j = i + 1;
    while (j < live.length && live[j]!.start < end) {
      const f = live[j]!;
      if (f.end > end) end = f.end;
      const r = ACTION_RANK[f.action] - ACTION_RANK[best.action];
      if (r > 0 || (r === 0 && f.end - f.start > best.end - best.start)) best = f;
      j++;
    }
    out += text.slice(pos, start) + placeholder(best);
    pos = end;
    i = j;
  }
  return out + text.slice(pos);
}
