import type { Registry } from 'prom-client';

/**
 * A one-line-per-second console summary of a running Sluice, for the demo: records/s, verdict
 * mix, leak rate, quarantine reasons and, when canary metrics are present, canary status.
 * Reads the same Prometheus text the /metrics endpoints serve, from in-process registries or
 * from URLs, so it shows exactly what a dashboard would. Counts and codes only, never payloads.
 */

type Labels = Record<string, string>;

/** Cumulative counter values read from one scrape. */
export interface MetricsSnapshot {
  atMs: number;
  records: Map<string, number>; // "source|verdict"
  withFindings: Map<string, number>; // "source|category"
  quarantine: Map<string, number>; // reason
  canarySent: number;
  canaryCaught: number;
  canaryEscaped: Map<string, number>; // type
  canaryLastCatchS: number | null;
  hasCanary: boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
export function parseExposition(text: string): Array<{ name: string; labels: Labels; value: number }> {
  const out: Array<{ name: string; labels: Labels; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    if (m[2])
      for (const l of m[2].matchAll(LABEL))
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function add(map: Map<string, number>, key: string, v: number): void {
  map.set(key, (map.get(key) ?? 0) + v);
}

export function snapshotFrom(texts: string[], atMs = Date.now()): MetricsSnapshot {
  const s: MetricsSnapshot = {
    atMs,
    records: new Map(),
    withFindings: new Map(),
    quarantine: new Map(),
    canarySent: 0,
    canaryCaught: 0,
    canaryEscaped: new Map(),
    canaryLastCatchS: null,
    hasCanary: false,
  };
  for (const text of texts) {
    for (const { name, labels, value } of parseExposition(text)) {
      switch (name) {
        case 'sluice_records_total':
          add(s.records, `${labels.source}|${labels.verdict}`, value);
          break;
        case 'sluice_records_with_findings_total':
          add(s.withFindings, `${labels.source}|${labels.category}`, value);
          break;
        case 'sluice_quarantine_total':
          add(s.quarantine, labels.reason ?? 'unknown', value);
          break;
        case 'sluice_canary_sent_total':
          s.hasCanary = true;
          s.canarySent += value;
          break;
        case 'sluice_canary_caught_total':
          s.canaryCaught += value;
          break;
        case 'sluice_canary_escaped_total':
          add(s.canaryEscaped, labels.type ?? 'unknown', value);
          break;
        case 'sluice_canary_last_catch_timestamp_seconds':
          if (value > 0) s.canaryLastCatchS = Math.max(s.canaryLastCatchS ?? 0, value);
          break;
      }
    }
  }
  return s;
}

function sum(map: Map<string, number>, pred: (key: string) => boolean = () => true): number {
  let n = 0;
  for (const [k, v] of map) if (pred(k)) n += v;
  return n;
}

function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '-';
}

/** One summary line from two snapshots (rates over the gap between them, leak rate since start). */
export function formatSummary(prev: MetricsSnapshot | null, cur: MetricsSnapshot): string {
  const parts: string[] = [];
  const total = sum(cur.records);
  const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  const rate = prev && dt > 0 ? (total - sum(prev.records)) / dt : 0;
  parts.push(`${Math.round(rate).toLocaleString('en-US')} rec/s, ${total.toLocaleString('en-US')} total`);
  const verdicts = ['clean', 'redacted', 'quarantined'].map(
    (v) =>
      `${v} ${pct(
        sum(cur.records, (k) => k.endsWith(`|${v}`)),
        total,
      )}`,
  );
  parts.push(verdicts.join(' '));
  // Leak rate = records with a finding of the category / records of the source.
  const leak: string[] = [];
  for (const [key, n] of [...cur.withFindings].sort()) {
    const [source, category] = key.split('|') as [string, string];
    const scanned = sum(cur.records, (k) => k.startsWith(`${source}|`));
    if (n > 0) leak.push(`${source}/${category} ${pct(n, scanned)}`);
  }
  parts.push(`leak ${leak.length > 0 ? leak.join(' ') : 'none'}`);
  const reasons = [...cur.quarantine].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0)
    parts.push(`quarantine ${reasons.map(([r, n]) => `${r.replace(/^SLUICE_/, '')}=${n}`).join(' ')}`);
  if (cur.hasCanary) {
    const escaped = sum(cur.canaryEscaped);
    const last =
      cur.canaryLastCatchS !== null
        ? `${Math.max(0, Math.round(cur.atMs / 1000 - cur.canaryLastCatchS))}s ago`
        : 'never';
    const byType = [...cur.canaryEscaped].filter(([, n]) => n > 0).map(([t, n]) => `${t}=${n}`);
    parts.push(
      `canary sent ${cur.canarySent} caught ${cur.canaryCaught} ${escaped > 0 ? `ESCAPED ${escaped} (${byType.join(' ')})` : 'escaped 0'} last catch ${last}`,
    );
  }
  return parts.join(' | ');
}

export interface LiveSummaryOptions {
  /** In-process registries (the scrubber's, the canary's). */
  registries?: Registry[];
  /** /metrics URLs to fetch instead (or as well). */
  urls?: string[];
  intervalMs?: number;
  out?: NodeJS.WritableStream;
}

export interface LiveSummary {
  stop(): void;
  /** Scrapes once and prints a line now (also what the timer does). */
  tick(): Promise<string>;
}

/** Prints a summary line every `intervalMs` (1 s) until stop(). A failed scrape prints why, once per tick. */
export function startLiveSummary(opts: LiveSummaryOptions): LiveSummary {
  const out = opts.out ?? process.stdout;
  let prev: MetricsSnapshot | null = null;
  let busy = false;
  const tick = async (): Promise<string> => {
    const texts: string[] = [];
    for (const r of opts.registries ?? []) texts.push(await r.metrics());
    for (const u of opts.urls ?? []) {
      const res = await fetch(u, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
      texts.push(await res.text());
    }
    const cur = snapshotFrom(texts);
    const line = `[${new Date(cur.atMs).toISOString().slice(11, 19)}] ${formatSummary(prev, cur)}`;
    prev = cur;
    out.write(`${line}\n`);
    return line;
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch((err: unknown) => out.write(`[live-summary] scrape failed: ${(err as Error).message}\n`))
      .finally(() => (busy = false));
  }, opts.intervalMs ?? 1000);
  return { stop: () => clearInterval(timer), tick };
}
