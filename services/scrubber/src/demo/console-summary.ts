import type { Registry } from 'prom-client';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A plain console view of the scrubber's own counters for people trying Sluice without a
 * dashboard: throughput, verdict mix, leak rate, quarantine reasons. Reads the in-process registry.
 */
export class ConsoleSummary {
  private lastTotal = 0;
  private lastAt = Date.now();

  constructor(
    private readonly registry: Registry,
    private readonly out: NodeJS.WritableStream,
  ) {}

  private async samples(name: string): Promise<Sample[]> {
    const m = this.registry.getSingleMetric(name);
    if (!m) return [];
    const got = await m.get();
    return got.values as Sample[];
  }

  async print(): Promise<void> {
    const records = await this.samples('sluice_records_total');
    const withFindings = await this.samples('sluice_records_with_findings_total');
    const reasons = await this.samples('sluice_quarantine_total');
    const by: Record<string, number> = { clean: 0, redacted: 0, quarantined: 0 };
    let total = 0;
    for (const s of records) {
      by[String(s.labels.verdict)] = (by[String(s.labels.verdict)] ?? 0) + s.value;
      total += s.value;
    }
    const now = Date.now();
    const rate = ((total - this.lastTotal) * 1000) / Math.max(1, now - this.lastAt);
    this.lastTotal = total;
    this.lastAt = now;
    const perCat: Record<string, number> = {};
    for (const s of withFindings) perCat[String(s.labels.category)] = (perCat[String(s.labels.category)] ?? 0) + s.value;
    const leak = Object.entries(perCat)
      .map(([c, n]) => `${c} ${((100 * n) / Math.max(1, total)).toFixed(2)}%`)
      .join(', ');
    const why: Record<string, number> = {};
    for (const s of reasons) why[String(s.labels.reason).replace(/^SLUICE_/, '')] = (why[String(s.labels.reason).replace(/^SLUICE_/, '')] ?? 0) + s.value;
    const pct = (n: number) => `${((100 * n) / Math.max(1, total)).toFixed(1)}%`;
    this.out.write(
      `${new Date().toISOString().slice(11, 19)}  ${rate.toFixed(0).padStart(6)} rec/s  total ${total}  ` +
        `clean ${by.clean} (${pct(by.clean!)})  redacted ${by.redacted} (${pct(by.redacted!)})  quarantined ${by.quarantined} (${pct(by.quarantined!)})` +
        `  leak rate: ${leak || 'none'}` +
        (Object.keys(why).length ? `  reasons: ${Object.entries(why).map(([k, v]) => `${k}=${v}`).join(' ')}` : '') +
        '\n',
    );
  }
}
