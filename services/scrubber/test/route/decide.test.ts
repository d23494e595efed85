import { decide } from '../../src/route/decide';
import type { Finding } from '../../src/scan/types';

function f(action: 'redact' | 'quarantine', shadow = false): Finding {
  return {
    ruleId: `r-${action}`,
    category: 'x',
    action,
    shadow,
    label: 'X',
    start: 0,
    end: 1,
    fingerprint: 'f'.repeat(64),
    preview: '…',
  };
}
const texts = [
  { path: 'value.text', text: 'a' },
  { path: 'value.size', text: '1' },
];

describe('decide', () => {
  test('no findings: clean', () => {
    expect(decide({ texts, redactable: [true, false], findings: [[], []] }).verdict).toBe('clean');
  });
  test('redact finding in a string: redacted', () => {
    expect(decide({ texts, redactable: [true, false], findings: [[f('redact')], []] })).toMatchObject({
      verdict: 'redacted',
      reason: null,
    });
  });
  test('the strongest action wins', () => {
    expect(
      decide({ texts, redactable: [true, false], findings: [[f('redact'), f('quarantine')], []] }),
    ).toMatchObject({
      verdict: 'quarantined',
      reason: 'SLUICE_FINDING_QUARANTINE',
    });
  });
  test('a finding that cannot hold a placeholder quarantines (fail closed)', () => {
    expect(decide({ texts, redactable: [true, false], findings: [[], [f('redact')]] })).toMatchObject({
      verdict: 'quarantined',
      reason: 'SLUICE_UNREDACTABLE_FIELD',
    });
  });
  test('shadow findings are kept for audit but change nothing', () => {
    const d = decide({ texts, redactable: [true, false], findings: [[f('quarantine', true)], []] });
    expect(d.verdict).toBe('clean');
    expect(d.findings).toHaveLength(1);
    expect(d.findings[0]!.path).toBe('value.text');
  });
});
