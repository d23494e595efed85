// Prometheus naming conventions (https://prometheus.io/docs/practices/naming/) for every metric
// the scrubber and the canary export, and bounded, payload-free label names.
import { ScrubberMetrics } from '../../src/metrics/scrubber-metrics';
import { CanaryMetrics } from '../../../canary/src/canary-metrics';

type MetricJson = {
  name: string;
  type: string;
  help: string;
  values: Array<{ labels: Record<string, string | number> }>;
};

// Label names that would carry unbounded or sensitive values: never allowed.
const FORBIDDEN_LABELS =
  /^(value|payload|key|text|secret|match|matched|message|record|offset|canary|id|email|user)$/i;

async function all(): Promise<Array<{ owner: string; m: MetricJson; labelNames: string[] }>> {
  const out: Array<{ owner: string; m: MetricJson; labelNames: string[] }> = [];
  const scrubber = new ScrubberMetrics();
  const canary = new CanaryMetrics();
  canary.init(['email'], () => new Map());
  for (const [owner, reg] of [
    ['scrubber', scrubber.registry],
    ['canary', canary.registry],
  ] as const) {
    for (const m of (await reg.getMetricsAsJSON()) as unknown as MetricJson[]) {
      // prom-client keeps label names on the metric object; getMetricsAsJSON has values only.
      const labelNames = (
        (reg.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? []
      ).slice();
      out.push({ owner, m, labelNames });
    }
  }
  return out;
}

describe('metric names follow Prometheus conventions', () => {
  test('prefix, suffixes, base units, help text', async () => {
    const problems: string[] = [];
    for (const { owner, m } of await all()) {
      const n = m.name;
      if (!/^[a-z_:][a-z0-9_:]*$/.test(n)) problems.push(`${n}: not snake_case`);
      if (!n.startsWith(owner === 'canary' ? 'sluice_canary_' : 'sluice_'))
        problems.push(`${n}: missing prefix`);
      // prom-client's default Node metrics (nodejs_active_handles_total is a gauge) are
      // prom-client's naming, kept as every Node exporter has them; the rest is ours.
      const ours = !/^sluice_(canary_)?(nodejs|process)_/.test(n);
      if (ours && m.type === 'counter' && !n.endsWith('_total'))
        problems.push(`${n}: counter without _total`);
      if (ours && m.type !== 'counter' && n.endsWith('_total')) problems.push(`${n}: _total on a ${m.type}`);
      if (m.type === 'histogram' && !/_(seconds|bytes)$/.test(n))
        problems.push(`${n}: histogram not in base units`);
      if (/_(ms|milliseconds|minutes|kb|mb|percent)(_|$)/.test(n)) problems.push(`${n}: not a base unit`);
      if (!m.help || m.help.length < 10) problems.push(`${n}: help missing`);
    }
    expect(problems).toEqual([]);
  });

  test('the metrics the issue asks for exist', async () => {
    const names = new Set((await all()).map((x) => x.m.name));
    for (const n of [
      'sluice_records_total',
      'sluice_bytes_total',
      'sluice_records_with_findings_total',
      'sluice_findings_total',
      'sluice_scan_duration_seconds',
      'sluice_batch_duration_seconds',
      'sluice_end_to_end_latency_seconds',
      'sluice_worker_queue_depth',
      'sluice_workers_busy',
      'sluice_worker_restarts_total',
      'sluice_consumer_lag_records',
      'sluice_keystroke_held_events',
      'sluice_keystroke_oldest_held_age_seconds',
      'sluice_decode_errors_total',
      'sluice_quarantine_total',
      'sluice_transactions_total',
      'sluice_ruleset_info',
      'sluice_ready',
      'sluice_process_cpu_seconds_total',
      'sluice_canary_sent_total',
      'sluice_canary_records_total',
      'sluice_canary_caught_total',
      'sluice_canary_escaped_total',
      'sluice_canary_catch_latency_seconds',
      'sluice_canary_last_catch_timestamp_seconds',
    ])
      expect(names).toContain(n);
  });

  test('labels are bounded and never carry payloads', async () => {
    const problems: string[] = [];
    const metrics = await all();
    // The check reads real label names (it would pass vacuously on empty lists).
    expect(metrics.find((x) => x.m.name === 'sluice_findings_total')?.labelNames).toEqual([
      'source',
      'rule',
      'category',
      'shadow',
    ]);
    for (const { m, labelNames } of metrics)
      for (const l of labelNames) if (FORBIDDEN_LABELS.test(l)) problems.push(`${m.name}{${l}}`);
    expect(problems).toEqual([]);
  });

  test('per-partition series disappear when the partition is revoked', async () => {
    const m = new ScrubberMetrics({ defaultMetrics: false });
    const labels = { topic: 'raw.chat', partition: '2' };
    m.consumerLag.set(labels, 5);
    m.keystrokeHeldEvents.set(labels, 3);
    m.keystrokeOldestHeldAge.set(labels, 1.5);
    m.consumerLag.set({ topic: 'raw.chat', partition: '1' }, 7);
    m.forgetPartition('raw.chat', 2);
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/partition="2"/);
    expect(text).toMatch(/sluice_consumer_lag_records\{topic="raw.chat",partition="1"\} 7/);
  });

  test('the scan workers heap gauges ask the pool once per scrape and report both figures', async () => {
    const m = new ScrubberMetrics({ defaultMetrics: false });
    let asked = 0;
    m.bindPoolHeap(async () => {
      asked++;
      await Promise.resolve();
      return { used: 1234, total: 5678 };
    });
    const text = await m.registry.metrics();
    expect(text).toMatch(/^sluice_worker_heap_used_bytes 1234$/m);
    expect(text).toMatch(/^sluice_worker_heap_total_bytes 5678$/m);
    expect(asked).toBe(1);
  });

  test('sluice_ready follows the bound readiness at scrape time', async () => {
    const m = new ScrubberMetrics({ defaultMetrics: false });
    let ready = false;
    m.bindReadiness(() => ready);
    expect(await m.registry.metrics()).toMatch(/^sluice_ready 0$/m);
    ready = true;
    expect(await m.registry.metrics()).toMatch(/^sluice_ready 1$/m);
  });

  test('per-source series exist at 0 before the first batch (rate() ignores a first sample)', async () => {
    const m = new ScrubberMetrics({ defaultMetrics: false });
    m.initSources(['chat']);
    const text = await m.registry.metrics();
    for (const v of ['clean', 'redacted', 'quarantined'])
      expect(text).toContain(`sluice_records_total{source="chat",verdict="${v}"} 0`);
    expect(text).toContain('sluice_transactions_total{outcome="abort"} 0');
  });
});
