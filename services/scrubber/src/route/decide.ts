import { ErrorCodes } from '../errors';
import type { Finding, ScanText } from '../scan/types';

export type Verdict = 'clean' | 'redacted' | 'quarantined';

/** A finding with the path of the text it was found in (`value.text`, `key`, `headers.x-user`). */
export interface LocatedFinding extends Finding {
  path: string;
  textIndex: number;
}

export interface RecordDecision {
  verdict: Verdict;
  /** Error or reason code when quarantined; null otherwise. */
  reason: string | null;
  /** Every finding, shadow ones included (they are counted and audited). */
  findings: LocatedFinding[];
}

export interface DecideInput {
  texts: readonly ScanText[];
  /** Parallel to texts: can this text hold a placeholder? (strings yes; enums, numbers, bytes, map keys no) */
  redactable: readonly boolean[];
  findings: readonly (readonly Finding[])[];
  /** Findings located by context rebuilders, already carrying their text index. */
  extra?: readonly LocatedFinding[];
}

/**
 * A record's verdict is the strongest action among its active (non-shadow) findings.
 * Fail closed: a finding that cannot be replaced in place (a number, an enum, bytes) quarantines.
 */
export function decide(input: DecideInput): RecordDecision {
  const located: LocatedFinding[] = [];
  let quarantine = false;
  let redact = false;
  let unredactable = false;
  for (let i = 0; i < input.findings.length; i++) {
    const list = input.findings[i];
    if (!list || list.length === 0) continue;
    const path = input.texts[i]?.path ?? `#${i}`;
    for (const f of list) {
      located.push({ ...f, path, textIndex: i });
      if (f.shadow) continue;
      if (f.action === 'quarantine') quarantine = true;
      else {
        redact = true;
        if (!input.redactable[i]) unredactable = true;
      }
    }
  }
  for (const f of input.extra ?? []) {
    located.push(f);
    if (f.shadow) continue;
    if (f.action === 'quarantine') quarantine = true;
    else {
      redact = true;
      if (!input.redactable[f.textIndex]) unredactable = true;
    }
  }
  if (quarantine) return { verdict: 'quarantined', reason: ErrorCodes.FINDING_QUARANTINE, findings: located };
  if (unredactable)
    return { verdict: 'quarantined', reason: ErrorCodes.UNREDACTABLE_FIELD, findings: located };
  if (redact) return { verdict: 'redacted', reason: null, findings: located };
  return located.length === 0 ? CLEAN : { verdict: 'clean', reason: null, findings: located };
}

/** The decision of a record with no findings at all (most records): one shared, frozen object. */
const CLEAN: RecordDecision = Object.freeze({
  verdict: 'clean' as const,
  reason: null,
  findings: Object.freeze([]) as unknown as LocatedFinding[],
});

/** A record that could not be scanned at all (decode error, too large, worker crash): quarantine. */
export function failClosed(code: string): RecordDecision {
  return { verdict: 'quarantined', reason: code, findings: [] };
}
