import type { ScanEngine } from '../engine';

export interface SampleFailure {
  ruleId: string;
  file: string;
  kind: 'positive' | 'negative';
  /** Index of the sample in the rule's list. */
  sample: number;
  reason: string;
}

/**
 * Runs every sample of every rule loaded in `engine` through the real engine (before cross-rule
 * dedupe, so a broader rule covering the same span does not hide this one): a positive sample
 * needs a finding of its rule whose original span equals `secret`; a negative sample must give no
 * finding of its rule. Failure reasons name spans, never sample values beyond the rule's own file.
 */
export function checkRuleSamples(engine: ScanEngine, onlyBuiltin = true): SampleFailure[] {
  const failures: SampleFailure[] = [];
  for (const rule of engine.rules) {
    if (onlyBuiltin && !rule.builtin) continue;
    const samples = rule.spec.samples;
    if (samples === undefined) continue;
    samples.positive.forEach((s, i) => {
      const found = engine.scanTextAll(s.text).filter((f) => f.ruleId === rule.id);
      if (!found.some((f) => s.text.slice(f.start, f.end) === s.secret)) {
        const spans = found.map((f) => `[${f.start},${f.end})`).join(' ') || 'none';
        failures.push({
          ruleId: rule.id,
          file: rule.file,
          kind: 'positive',
          sample: i,
          reason: `no finding equal to the secret; findings of this rule: ${spans}`,
        });
      }
    });
    samples.negative.forEach((text, i) => {
      const found = engine.scanTextAll(text).filter((f) => f.ruleId === rule.id);
      if (found.length > 0)
        failures.push({
          ruleId: rule.id,
          file: rule.file,
          kind: 'negative',
          sample: i,
          reason: `unexpected finding(s) at ${found.map((f) => `[${f.start},${f.end})`).join(' ')}`,
        });
    });
  }
  return failures;
}

/** Build-time check for the built-in rules (used by the samples test and available to CLIs). */
export function validateBuiltinSamples(engine: ScanEngine): SampleFailure[] {
  return checkRuleSamples(engine, true);
}
