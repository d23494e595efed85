import fc from 'fast-check';
import { fromWire, toWire, type WireScanResult } from '../../../src/scan/pool/protocol';
import type { Finding, RecordScanResult } from '../../../src/scan/types';

const finding: fc.Arbitrary<Finding> = fc.record({
  ruleId: fc.constantFrom('email', 'aws-access-key-id'),
  category: fc.constantFrom('pii' as const, 'credential' as const),
  action: fc.constantFrom('redact' as const, 'quarantine' as const),
  shadow: fc.boolean(),
  label: fc.constant('X'),
  start: fc.nat(100),
  end: fc.nat(100),
  fingerprint: fc.string({ maxLength: 8 }),
  preview: fc.constant('…'),
});

const result: fc.Arbitrary<RecordScanResult> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const),
    findings: fc.array(
      fc.oneof({ weight: 4, arbitrary: fc.constant([] as Finding[]) }, fc.array(finding, { maxLength: 2 })),
      {
        maxLength: 12,
      },
    ),
    scanNanos: fc.nat(),
  }),
  fc.record({
    ok: fc.constant(false as const),
    code: fc.constant('SLUICE_SCAN_FAILED'),
    message: fc.string(),
  }),
);

describe('scan results on the wire', () => {
  test('property: fromWire(toWire(r)) equals r, through a structured clone', () => {
    fc.assert(
      fc.property(result, (r) => {
        const wire = structuredClone(toWire(r));
        expect(fromWire(wire)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  test('a record without findings crosses as a count and comes back as one shared frozen list', () => {
    const clean: RecordScanResult = { ok: true, findings: [[], [], []], scanNanos: 5 };
    expect(toWire(clean)).toEqual({ ok: true, cleanTexts: 3, scanNanos: 5 });
    const a = fromWire(toWire(clean));
    const b = fromWire(toWire({ ok: true, findings: [[], [], []], scanNanos: 9 }));
    expect(a && a.ok && b && b.ok && a.findings === b.findings).toBe(true);
    expect(Object.isFrozen(a && a.ok ? a.findings : null)).toBe(true);
    // A record with one finding travels whole.
    const dirty = { ok: true as const, findings: [[], [{ ruleId: 'x' } as Finding]], scanNanos: 1 };
    expect(toWire(dirty)).toBe(dirty);
  });

  test('malformed counts are refused (the pool treats them as a protocol break)', () => {
    for (const bad of [-1, 1.5, Number.NaN])
      expect(fromWire({ ok: true, cleanTexts: bad, scanNanos: 0 } as WireScanResult)).toBeNull();
    expect(fromWire(null as unknown as WireScanResult)).toBeNull();
  });
});
