import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The canary's Prometheus metrics. Labels are the canary type and the audit verdict: bounded sets.
 * Canary ids are never labels (unbounded); they are in the logs of an escape instead.
 */
export class CanaryMetrics {
  readonly registry = new Registry();

  readonly sent = new Counter({
    name: 'sluice_canary_sent_total',
    help: 'Canaries written to raw topics, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly records = new Counter({
    name: 'sluice_canary_records_total',
    help: 'Records written to raw topics for canaries, by type (a keystroke canary is one record per key event)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly caught = new Counter({
    name: 'sluice_canary_caught_total',
    help: 'Canaries the gate redacted or quarantined (secret absent from clean and redacted), by type and verdict',
    labelNames: ['type', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly escaped = new Counter({
    name: 'sluice_canary_escaped_total',
    help: 'Canaries whose secret bytes reached a clean or redacted topic, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly timedOut = new Counter({
    name: 'sluice_canary_timed_out_total',
    help: 'Canaries with no verdict within canary.resolveTimeoutMs (gate down, stalled or losing records), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly sendErrors = new Counter({
    name: 'sluice_canary_send_errors_total',
    help: 'Canary sends that failed (nothing written), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly catchLatency = new Histogram({
    name: 'sluice_canary_catch_latency_seconds',
    help: 'From producing a canary to the decidedAtMs of its audit record',
    labelNames: ['type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly lastCatch = new Gauge({
    name: 'sluice_canary_last_catch_timestamp_seconds',
    help: 'Unix time of the last verified catch (any type)',
    registers: [this.registry],
  });
  private pendingOf: (() => Map<string, number>) | null = null;
  private knownTypes: readonly string[] = [];
  readonly pending = new Gauge({
    name: 'sluice_canary_pending',
    help: 'Canaries sent and not yet decided, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.pendingOf) return;
      const now = this.pendingOf();
      for (const t of this.knownTypes) this.pending.set({ type: t }, now.get(t) ?? 0);
    },
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'sluice_canary_' });
  }

  /** Creates every series at 0 for the configured types, so rate() and alerts see them from the start. */
  init(types: readonly string[], pending: () => Map<string, number>): void {
    this.knownTypes = types;
    this.pendingOf = pending;
    for (const type of types) {
      this.sent.inc({ type }, 0);
      this.escaped.inc({ type }, 0);
      this.timedOut.inc({ type }, 0);
      for (const verdict of ['redacted', 'quarantined']) this.caught.inc({ type, verdict }, 0);
    }
  }
}
