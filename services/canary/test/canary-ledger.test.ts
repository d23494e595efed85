import { CanaryLedger, coordKey, type AuditVerdict, type TrackedCanary } from '../src/canary-ledger';

function harness() {
  const events: string[] = [];
  const latencies: number[] = [];
  const ledger = new CanaryLedger({
    caught: (c: TrackedCanary, v: AuditVerdict, s: number) => {
      events.push(`caught ${c.id} ${v}`);
      latencies.push(s);
    },
    escaped: (c) => events.push(`escaped ${c.id}`),
    timedOut: (c) => events.push(`timedOut ${c.id}`),
  });
  return { ledger, events, latencies };
}

const audit = (
  offset: number,
  verdict: AuditVerdict,
  decidedAtMs = 1500,
  offsetRangeEnd: number | null = null,
) => ({
  topic: 'raw.chat',
  partition: 1,
  offset: BigInt(offset),
  offsetRangeEnd: offsetRangeEnd === null ? null : BigInt(offsetRangeEnd),
  verdict,
  decidedAtMs,
});

describe('canary ledger', () => {
  test('quarantined: caught on the audit alone (the envelope is encrypted), latency from the audit', () => {
    const { ledger, events, latencies } = harness();
    const c = ledger.begin('a', 'aws-key', [Buffer.from('AKIA')], 1000);
    ledger.placed(c, [{ topic: 'raw.chat', partition: 1, offset: 7n, secretChar: null }]);
    ledger.audit(audit(6, 'clean'));
    expect(events).toEqual([]);
    ledger.audit(audit(7, 'quarantined', 1750));
    expect(events).toEqual(['caught a quarantined']);
    expect(latencies).toEqual([0.75]);
    expect(ledger.pending).toBe(0);
  });

  test('redacted: caught only once the redacted output was checked and did not hold the secret', () => {
    const { ledger, events } = harness();
    const c = ledger.begin('b', 'email', [Buffer.from('x@y.z')], 1000);
    ledger.placed(c, [{ topic: 'raw.chat', partition: 1, offset: 3n, secretChar: null }]);
    ledger.audit(audit(3, 'redacted'));
    expect(events).toEqual([]);
    ledger.output(c, coordKey('raw.chat', 1, 3n), 'no-secret');
    expect(events).toEqual(['caught b redacted']);
  });

  test('a redaction that left the secret in place is an escape, not a catch', () => {
    const { ledger, events } = harness();
    const c = ledger.begin('c', 'card', [Buffer.from('4111')], 1000);
    ledger.placed(c, [{ topic: 'raw.chat', partition: 1, offset: 4n, secretChar: null }]);
    ledger.audit(audit(4, 'redacted'));
    ledger.output(c, coordKey('raw.chat', 1, 4n), 'leaked');
    expect(events).toEqual(['escaped c']);
    expect(ledger.pending).toBe(0);
  });

  test('keystroke canary: every secret event must be decided; one leaked key is an escape, counted once', () => {
    const { ledger, events } = harness();
    const c = ledger.begin('k', 'keystroke', [], 1000);
    ledger.placed(c, [
      { topic: 'raw.chat', partition: 1, offset: 10n, secretChar: 'A' },
      { topic: 'raw.chat', partition: 1, offset: 11n, secretChar: 'K' },
    ]);
    // A range audit covering both events (clean keystroke runs).
    ledger.audit(audit(9, 'clean', 1500, 12));
    ledger.output(c, coordKey('raw.chat', 1, 10n), 'leaked');
    ledger.output(c, coordKey('raw.chat', 1, 11n), 'leaked');
    expect(events).toEqual(['escaped k']);
  });

  test('an audit that arrives before the produce ack is kept while the send is in flight', () => {
    const { ledger, events } = harness();
    const c = ledger.begin('e', 'aws-key', [], 1000);
    ledger.audit(audit(20, 'quarantined'));
    ledger.placed(c, [{ topic: 'raw.chat', partition: 1, offset: 20n, secretChar: null }]);
    expect(events).toEqual(['caught e quarantined']);
  });

  test('no verdict within the deadline: timed out; a failed send is forgotten', () => {
    const { ledger, events } = harness();
    const c = ledger.begin('t', 'email', [], 1000);
    ledger.placed(c, [{ topic: 'raw.chat', partition: 1, offset: 30n, secretChar: null }]);
    const f = ledger.begin('f', 'email', [], 1000);
    ledger.abandon(f);
    ledger.expire(5000, 10_000);
    expect(events).toEqual([]);
    ledger.expire(11_001, 10_000);
    expect(events).toEqual(['timedOut t']);
    expect(ledger.pending).toBe(0);
  });
});
