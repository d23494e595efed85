import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { ScrubberMetrics } from '../../src/metrics/scrubber-metrics';
import { CanaryMetrics } from '../../../canary/src/canary-metrics';
import { formatSummary, parseExposition, snapshotFrom, startLiveSummary } from '../../src/demo/live-summary';

function seeded(): { scrubber: ScrubberMetrics; canary: CanaryMetrics } {
  const scrubber = new ScrubberMetrics({ defaultMetrics: false });
  scrubber.records.inc({ source: 'chat', verdict: 'clean' }, 90);
  scrubber.records.inc({ source: 'chat', verdict: 'redacted' }, 6);
  scrubber.records.inc({ source: 'chat', verdict: 'quarantined' }, 4);
  scrubber.recordsWithFindings.inc({ source: 'chat', category: 'pii' }, 6);
  scrubber.recordsWithFindings.inc({ source: 'chat', category: 'credential' }, 4);
  scrubber.quarantineReasons.inc({ source: 'chat', reason: 'SLUICE_FINDING_QUARANTINE' }, 4);
  const canary = new CanaryMetrics({ defaultMetrics: false });
  canary.init(['email', 'keystroke'], () => new Map());
  canary.sent.inc({ type: 'email' }, 3);
  canary.caught.inc({ type: 'email', verdict: 'redacted' }, 3);
  canary.sent.inc({ type: 'keystroke' }, 2);
  canary.escaped.inc({ type: 'keystroke' }, 2);
  return { scrubber, canary };
}

describe('live summary', () => {
  test('parses the exposition format, including escaped label values', () => {
    expect(parseExposition('# HELP x y\nx{a="b\\"c",d="e"} 3\ny 4.5\n')).toEqual([
      { name: 'x', labels: { a: 'b"c', d: 'e' }, value: 3 },
      { name: 'y', labels: {}, value: 4.5 },
    ]);
  });

  test('verdict mix, leak rate per source and category, quarantine reasons, canary escapes', async () => {
    const { scrubber, canary } = seeded();
    const prev = snapshotFrom([await scrubber.registry.metrics()], 0);
    scrubber.records.inc({ source: 'chat', verdict: 'clean' }, 100);
    const cur = snapshotFrom([await scrubber.registry.metrics(), await canary.registry.metrics()], 2000);
    const line = formatSummary(prev, cur);
    expect(line).toContain('50 rec/s, 200 total');
    expect(line).toContain('clean 95.0% redacted 3.0% quarantined 2.0%');
    expect(line).toContain('leak chat/credential 2.0% chat/pii 3.0%');
    expect(line).toContain('quarantine FINDING_QUARANTINE=4');
    expect(line).toContain('canary sent 5 caught 3 ESCAPED 2 (keystroke=2)');
  });

  test('without canary metrics there is no canary part', async () => {
    const { scrubber } = seeded();
    expect(formatSummary(null, snapshotFrom([await scrubber.registry.metrics()]))).not.toContain('canary');
  });

  test('reads /metrics over HTTP and prints a line per tick', async () => {
    const { scrubber } = seeded();
    const server = createServer((_req, res) => void scrubber.registry.metrics().then((t) => res.end(t)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const out = new PassThrough();
    let printed = '';
    out.on('data', (d: Buffer) => (printed += d.toString()));
    const live = startLiveSummary({
      urls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`],
      out,
      intervalMs: 60_000,
    });
    try {
      const line = await live.tick();
      expect(line).toContain('100 total');
      expect(printed).toContain(line);
    } finally {
      live.stop();
      server.close();
    }
  });
});
