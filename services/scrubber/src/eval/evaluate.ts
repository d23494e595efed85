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

/**
 * "Structured PII": personal data with a fixed format or a checksum that a pattern can recognise
 * on its own (email, phone numbers, payment cards, IBAN, SWIFT, SSN/ITIN/EIN, national ids,
 * passport and licence numbers, IMEI, VIN): every `pii` rule except the contextual ones below,
 * whose values (dates, addresses, postcodes, coordinates, free-form member or record numbers) are
 * only personal data because of the words around them. The quality gate applies to this group.
 */
export const CONTEXTUAL_PII_RULES: readonly string[] = [
  'date-of-birth',
  'us-street-address',
  'de-street-address',
  'fr-street-address',
  'uk-postcode',
  'us-zip-code',
  'geo-coordinates',
  'bank-account-number',
  'health-insurance-member-id',
  'medical-record-number',
  'payment-card-cvv',
];

/** Groups the gate is measured on; a finding or label belongs to a group by its rule and category. */
export const GATE_GROUPS = ['credential', 'structured-pii'] as const;
export type GateGroup = (typeof GATE_GROUPS)[number];
export const GATE_THRESHOLD = 0.95;

function gateGroup(category: string, ruleId: string): GateGroup | null {
  if (category === 'credential' || category === 'private-key') return 'credential';
  if (category === 'pii' && !CONTEXTUAL_PII_RULES.includes(ruleId)) return 'structured-pii';
  return null;
}

export interface EvalResult {
  lines: number;
  labels: number;
  findings: number;
  overall: Counts;
  byCategory: Record<string, Counts>;
  /** credential (incl. private-key) and structured-pii, with pass = precision and recall >= GATE_THRESHOLD. */
  gates: Record<GateGroup, Counts & { pass: boolean }>;
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
  const rule = (k: string): Counts & { detectedBySameRule: number } =>
    (byRule[k] ??= { ...emptyCounts(), detectedBySameRule: 0 });
  const gates = {} as Record<GateGroup, Counts & { pass: boolean }>;
  for (const g of GATE_GROUPS) gates[g] = { ...emptyCounts(), pass: false };
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
      const g = gateGroup(f.category, f.ruleId);
      if (g !== null) gates[g][bucket]++;
      if (!hit && falsePositives.length < MAX_EXAMPLES)
        falsePositives.push({
          id: line.id,
          ruleId: f.ruleId,
          text: line.text.slice(Math.max(0, f.start - 30), f.end + 30),
        });
    }
    for (const l of line.labels) {
      const hits = findings.filter((f) => overlaps(f, l) && compatible(f.category, l.category));
      const found = hits.length > 0;
      overall.labels++;
      cat(l.category).labels++;
      const g = gateGroup(l.category, l.ruleFamily);
      if (g !== null) gates[g].labels++;
      if (g !== null && found) gates[g].detected++;
      const r = rule(l.ruleFamily);
      r.labels++;
      if (found) {
        overall.detected++;
        cat(l.category).detected++;
        r.detected++;
        if (hits.some((f) => f.ruleId === l.ruleFamily)) r.detectedBySameRule++;
      } else if (misses.length < MAX_EXAMPLES)
        misses.push({
          id: line.id,
          ruleFamily: l.ruleFamily,
          text: line.text.slice(Math.max(0, l.start - 30), l.end + 30),
        });
    }
  }
  finish(overall);
  for (const c of Object.values(byCategory)) finish(c);
  for (const c of Object.values(byRule)) finish(c);
  for (const c of Object.values(gates)) {
    finish(c);
    c.pass = c.precision >= GATE_THRESHOLD && c.recall >= GATE_THRESHOLD;
  }
  return {
    lines: lines.length,
    labels: overall.labels,
    findings: findingsTotal,
    overall,
    byCategory,
    gates,
    byRule,
    falsePositives,
    misses,
  };
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
  rows.push(row('ALL', res.overall), '', `quality gate (precision and recall >= ${GATE_THRESHOLD}):`, head);
  for (const g of GATE_GROUPS) rows.push(`${row(g, res.gates[g])} ${res.gates[g].pass ? 'PASS' : 'FAIL'}`);
  rows.push('', 'rules with a false positive or a miss:', head);
  for (const k of Object.keys(res.byRule).sort()) {
    const c = res.byRule[k]!;
    if (c.fp > 0 || c.detected < c.labels) rows.push(row(k, c));
  }
  return rows.join('\n');
}
