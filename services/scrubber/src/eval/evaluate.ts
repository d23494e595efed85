import type { CorpusLine, Label } from './corpus-generator';

/** The slice of a Finding the evaluation needs (UTF-16 offsets into the scanned text). */
export interface EvalFinding {
  ruleId: string;
  category: string;
  start: number;
  end: number;
}

/** Anything that scans a text: the real ScanEngine, or a fake in tests. */
export interface TextScanner {
  scanText(text: string, source?: string): readonly EvalFinding[];
}

export interface Counts {
  /** Findings that overlap a label of a compatible category. */
  tp: number;
  /** Findings that overlap no compatible label. */
  fp: number;
  /** Labels hit by at least one compatible finding (recall numerator). */
  detected: number;
  /** Labels (recall denominator). */
  labels: number;
  precision: number;
  recall: number;
}

export interface EvalResult {
  lines: number;
  labels: number;
  findings: number;
  overall: Counts;
  byCategory: Record<string, Counts>;
  /** Per rule id: precision over its findings; recall over labels whose ruleFamily is that id. */
  byRule: Record<string, Counts & { detectedBySameRule: number }>;
  /** A sample of false positives and misses, for triage (synthetic data only). */
  falsePositives: { id: string; ruleId: string; text: string }[];
  misses: { id: string; ruleFamily: string; text: string }[];
}

/**
 * Credentials and private keys are both "secrets to rotate": a private key body caught by a
 * credential rule (or the reverse) is a correct catch, not a false positive.
 */
const COMPATIBLE: Record<string, readonly string[]> = {
  credential: ['credential', 'private-key'],
  'private-key': ['private-key', 'credential'],
};

export function compatible(findingCategory: string, labelCategory: string): boolean {
  return (COMPATIBLE[findingCategory] ?? [findingCategory]).includes(labelCategory);
}

function overlaps(f: EvalFinding, l: Label): boolean {
  return f.start < l.end && l.start < f.end;
}

function emptyCounts(): Counts {
  return { tp: 0, fp: 0, detected: 0, labels: 0, precision: 1, recall: 1 };
}

function finish(c: Counts): void {
  c.precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  c.recall = c.labels === 0 ? 1 : c.detected / c.labels;
}

const MAX_EXAMPLES = 50;

export function evaluate(lines: readonly CorpusLine[], scanner: TextScanner): EvalResult {
  const overall = emptyCounts();
  const byCategory: Record<string, Counts> = {};
  const byRule: Record<string, Counts & { detectedBySameRule: number }> = {};
  const cat = (k: string): Counts => (byCategory[k] ??= emptyCounts());
  const rule = (k: string): Counts & { detectedBySameRule: number } => (byRule[k] ??= { ...emptyCounts(), detectedBySameRule: 0 });
  const falsePositives: EvalResult['falsePositives'] = [];
  const misses: EvalResult['misses'] = [];
  let findingsTotal = 0;

  for (const line of lines) {
    const findings = scanner.scanText(line.text);
    findingsTotal += findings.length;
    for (const f of findings) {
      const hit = line.labels.some((l) => overlaps(f, l) && compatible(f.category, l.category));
      const bucket = hit ? 'tp' : 'fp';
      overall[bucket]++;
      cat(f.category)[bucket]++;
      rule(f.ruleId)[bucket]++;
      if (!hit && falsePositives.length < MAX_EXAMPLES) falsePositives.push({ id: line.id, ruleId: f.ruleId, text: line.text.slice(Math.max(0, f.start - 30), f.end + 30) });
    }
    for (const l of line.labels) {
      const hits = findings.filter((f) => overlaps(f, l) && compatible(f.category, l.category));
      const found = hits.length > 0;
      overall.labels++;
      cat(l.category).labels++;
      const r = rule(l.ruleFamily);
      r.labels++;
      if (found) {
        overall.detected++;
        cat(l.category).detected++;
        r.detected++;
        if (hits.some((f) => f.ruleId === l.ruleFamily)) r.detectedBySameRule++;
      } else if (misses.length < MAX_EXAMPLES) misses.push({ id: line.id, ruleFamily: l.ruleFamily, text: line.text.slice(Math.max(0, l.start - 30), l.end + 30) });
    }
  }
  finish(overall);
  for (const c of Object.values(byCategory)) finish(c);
  for (const c of Object.values(byRule)) finish(c);
  return { lines: lines.length, labels: overall.labels, findings: findingsTotal, overall, byCategory, byRule, falsePositives, misses };
}

const pct = (x: number): string => (x * 100).toFixed(1).padStart(6);

/** Plain-text table: per category, then the rules with any false positive or miss. */
export function formatTable(res: EvalResult): string {
  const rows: string[] = [];
  const head = `${'category / rule'.padEnd(40)} ${'labels'.padStart(7)} ${'found'.padStart(6)} ${'TP'.padStart(6)} ${'FP'.padStart(6)} ${'prec%'.padStart(6)} ${'rec%'.padStart(6)}`;
  const row = (name: string, c: Counts): string =>
    `${name.padEnd(40)} ${String(c.labels).padStart(7)} ${String(c.detected).padStart(6)} ${String(c.tp).padStart(6)} ${String(c.fp).padStart(6)} ${pct(c.precision)} ${pct(c.recall)}`;
  rows.push(`lines ${res.lines}, labels ${res.labels}, findings ${res.findings}`, head);
  for (const k of Object.keys(res.byCategory).sort()) rows.push(row(k, res.byCategory[k]!));
  rows.push(row('ALL', res.overall), '', 'rules with a false positive or a miss:', head);
  for (const k of Object.keys(res.byRule).sort()) {
    const c = res.byRule[k]!;
    if (c.fp > 0 || c.detected < c.labels) rows.push(row(k, c));
  }
  return rows.join('\n');
}
