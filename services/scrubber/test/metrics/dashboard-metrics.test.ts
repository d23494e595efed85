// "Screenshot-free" dashboard check: every metric the Grafana dashboard and the alert rules
// query is exported by the scrubber or the canary, or recorded by a recording rule. A panel
// that points at a renamed metric would otherwise show "No data" and nobody would notice.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ScrubberMetrics } from '../../src/metrics/scrubber-metrics';
import { CanaryMetrics } from '../../../canary/src/canary-metrics';
import { metricNamesIn } from './promql-names';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'sluice-overview.json');
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'rules');

/** Series names a registry exports: histograms and summaries add suffixes. */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new ScrubberMetrics().registry, new CanaryMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      // prom-client types `type` as an enum; compare its string form.
      const type = String(m.type);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
    }
  }
  return names;
}

interface RuleFile {
  groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

function ruleFiles(): RuleFile[] {
  return ['sluice-recording.yml', 'sluice-alerts.yml'].map(
    (f) => parse(readFileSync(path.join(RULES, f), 'utf8')) as RuleFile,
  );
}

function dashboardExprs(): Array<{ panel: string; expr: string }> {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr?: string }>; panels?: unknown[] }>;
  };
  const out: Array<{ panel: string; expr: string }> = [];
  for (const p of dash.panels)
    for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title, expr: t.expr });
  return out;
}

// Series Prometheus itself makes.
const PROMETHEUS_BUILTIN = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds']);

describe('dashboard and rules reference only exported metrics', () => {
  test('the metric name extractor finds names and skips functions, labels, keywords', () => {
    expect(
      metricNamesIn(
        'sum by (source) (rate(sluice_records_total{verdict="clean"}[5m])) / on (source) group_left () x:y:z offset 15m',
      ).sort(),
    ).toEqual(['sluice_records_total', 'x:y:z']);
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket[$__rate_interval]))) and time() - 1e9',
      ),
    ).toEqual(['a_bucket']);
    expect(metricNamesIn('topk(10, b{rule=~"aws.*"}) > bool 3')).toEqual(['b']);
  });

  test('every dashboard query reads known series', async () => {
    const known = await exportedNames();
    for (const r of ruleFiles())
      for (const g of r.groups) for (const rule of g.rules) if (rule.record) known.add(rule.record);
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    const used = new Set<string>();
    for (const { panel, expr } of exprs) {
      for (const name of metricNamesIn(expr)) {
        used.add(name);
        if (!known.has(name) && !PROMETHEUS_BUILTIN.has(name)) unknown.push(`${panel}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    // The panels the issue asks for are there: throughput, leak rate, canaries, lag, workers.
    for (const must of [
      'sluice_records_total',
      'source_category:sluice_leak_rate:ratio_rate5m',
      'sluice_findings_total',
      'sluice_consumer_lag_records',
      'sluice_worker_queue_depth',
      'sluice_canary_escaped_total',
      'sluice_canary_catch_latency_seconds_bucket',
      'sluice_scan_duration_seconds_bucket',
      'sluice_end_to_end_latency_seconds_bucket',
    ]) {
      expect(used).toContain(must);
    }
  });

  test('every alert and recording rule reads known series', async () => {
    const known = await exportedNames();
    const rules = ruleFiles();
    for (const r of rules)
      for (const g of r.groups) for (const rule of g.rules) if (rule.record) known.add(rule.record);
    const unknown: string[] = [];
    for (const r of rules)
      for (const g of r.groups)
        for (const rule of g.rules) {
          for (const name of metricNamesIn(rule.expr))
            if (!known.has(name) && !PROMETHEUS_BUILTIN.has(name))
              unknown.push(`${rule.record ?? rule.alert}: ${name}`);
        }
    expect(unknown).toEqual([]);
  });

  test('a dashboard pointing at a metric nobody exports is caught', async () => {
    const known = await exportedNames();
    expect(metricNamesIn('sum(rate(sluice_recrods_total[5m]))').filter((n) => !known.has(n))).toEqual([
      'sluice_recrods_total',
    ]);
  });
});
