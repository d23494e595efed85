import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The scrubber's Prometheus metrics. Labels are bounded sets (source names, verdicts, rule ids,
 * categories, reason codes, partitions): never a payload, key or matched value.
 * Verdict and record counters move only after the transaction that carried them commits.
 */
export class ScrubberMetrics {
  readonly registry = new Registry();

  readonly records = new Counter({
    name: 'sluice_records_total',
    help: 'Records committed, by source and verdict',
    labelNames: ['source', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'sluice_bytes_total',
    help: 'Input bytes (key + value + headers) committed, by source and verdict',
    labelNames: ['source', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly recordsWithFindings = new Counter({
    name: 'sluice_records_with_findings_total',
    help: 'Records with at least one active finding of a category (leak-rate numerator)',
    labelNames: ['source', 'category'] as const,
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: 'sluice_findings_total',
    help: 'Findings, by source, rule and category (shadow findings included, flagged)',
    labelNames: ['source', 'rule', 'category', 'shadow'] as const,
    registers: [this.registry],
  });
  readonly quarantineReasons = new Counter({
    name: 'sluice_quarantine_total',
    help: 'Quarantined records by source and reason code',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly decodeErrors = new Counter({
    name: 'sluice_decode_errors_total',
    help: 'Records that could not be decoded, by source and reason code',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: 'sluice_transactions_total',
    help: 'Kafka transactions by outcome (commit, abort)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'sluice_batch_duration_seconds',
    help: 'Time from receiving a batch to its transaction commit',
    labelNames: ['source'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Where a batch's time goes, stage by stage (no payload, no partition label). */
  readonly batchStageSeconds = new Histogram({
    name: 'sluice_batch_stage_seconds',
    help: 'Time per batch in each stage: begin (producer + transaction start), analyse (decode + worker scan, chat seam texts included), holdback (keystroke rebuild and its scans, hold-back bookkeeping), produce (outputs), audit, commit (sendOffsets + EndTxn)',
    labelNames: ['source', 'stage'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly scanSeconds = new Histogram({
    name: 'sluice_scan_duration_seconds',
    help: 'Worker scan time per batch',
    labelNames: ['source'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly endToEndSeconds = new Histogram({
    name: 'sluice_end_to_end_latency_seconds',
    help: 'From the input record timestamp to the commit of its output',
    labelNames: ['source'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'sluice_consumer_lag_records',
    help: 'Records between the last processed offset and the high watermark, per input partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  /** Set by bindPool(); read at scrape time. */
  private poolStats: (() => { queueDepth: number; busyWorkers: number }) | null = null;
  readonly workerQueueDepth = new Gauge({
    name: 'sluice_worker_queue_depth',
    help: 'Scan batches admitted and not yet finished by the worker pool',
    registers: [this.registry],
    collect: () => {
      if (this.poolStats) this.workerQueueDepth.set(this.poolStats().queueDepth);
    },
  });
  readonly workersBusy = new Gauge({
    name: 'sluice_workers_busy',
    help: 'Workers currently scanning',
    registers: [this.registry],
    collect: () => {
      if (this.poolStats) this.workersBusy.set(this.poolStats().busyWorkers);
    },
  });
  /** Set by bindPoolHeap(); read at scrape time. */
  private poolHeap: (() => Promise<{ used: number; total: number }>) | null = null;
  /** One question to the workers per scrape: prom-client collects the two gauges concurrently. */
  private poolHeapPending: Promise<{ used: number; total: number }> | null = null;
  private readPoolHeap(): Promise<{ used: number; total: number }> | null {
    if (!this.poolHeap) return null;
    this.poolHeapPending ??= this.poolHeap().finally(() => {
      this.poolHeapPending = null;
    });
    return this.poolHeapPending;
  }
  readonly workerHeapUsed = new Gauge({
    name: 'sluice_worker_heap_used_bytes',
    help: 'V8 heap in use in the scan workers, summed over running workers (each is an isolate outside nodejs_heap_*)',
    registers: [this.registry],
    collect: async () => {
      const h = await this.readPoolHeap();
      if (h) this.workerHeapUsed.set(h.used);
    },
  });
  readonly workerHeapTotal = new Gauge({
    name: 'sluice_worker_heap_total_bytes',
    help: 'V8 heap committed by the scan workers, summed over running workers',
    registers: [this.registry],
    collect: async () => {
      const h = await this.readPoolHeap();
      if (h) this.workerHeapTotal.set(h.total);
    },
  });
  readonly workerRestarts = new Counter({
    name: 'sluice_worker_restarts_total',
    help: 'Scan workers replaced after a crash, timeout or memory limit',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rulesetInfo = new Gauge({
    name: 'sluice_ruleset_info',
    help: 'Active ruleset version (value 1)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  /**
   * Keystroke hold-back (DESIGN.md "Context that spans records"): events held until their typed
   * text is settled, and how long the oldest has waited. Per input partition, so a stuck session
   * shows where it is; set by the keystroke rebuilder, removed on revoke like the lag.
   */
  readonly keystrokeHeldEvents = new Gauge({
    name: 'sluice_keystroke_held_events',
    help: 'Keystroke events held back until their typed text is settled, per input partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly keystrokeOldestHeldAge = new Gauge({
    name: 'sluice_keystroke_oldest_held_age_seconds',
    help: 'Age of the oldest held keystroke event (record timestamp to now), per input partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  /** Why runs of typing settled: a jump in fail-closed reasons (max-hold, memory-bound) needs a look. */
  readonly keystrokeRunsSettled = new Counter({
    name: 'sluice_keystroke_runs_settled_total',
    help: 'Runs of typed text settled by the keystroke hold-back, by source and reason (boundary, focus, idle-event-time, idle-wall-clock, max-run-chars, max-hold, memory-bound, orphaned)',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  /** Records a new owner re-read as hold-back context (emitted by the previous owner, not again). */
  readonly holdbackContextRecords = new Counter({
    name: 'sluice_holdback_context_records_total',
    help: 'Records re-read after a partition changed owner to rebuild runs of typing whose start the previous owner had already emitted (never emitted again)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly assignedPartitions = new Gauge({
    name: 'sluice_assigned_partitions',
    help: 'Input partitions assigned to this instance',
    registers: [this.registry],
  });

  /** Set by bindReadiness(); read at scrape time so the gauge and /readyz never disagree. */
  private readiness: (() => boolean) | null = null;
  readonly ready = new Gauge({
    name: 'sluice_ready',
    help: '1 when connected, assigned at least one partition and consuming (same as /readyz)',
    registers: [this.registry],
    collect: () => {
      this.ready.set(this.readiness?.() ? 1 : 0);
    },
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }

  bindPool(stats: () => { queueDepth: number; busyWorkers: number }): void {
    this.poolStats = stats;
  }

  /** The scan workers' heaps for sluice_worker_heap_*_bytes (WorkerPool.heapStatistics). */
  bindPoolHeap(heap: () => Promise<{ used: number; total: number }>): void {
    this.poolHeap = heap;
  }

  /**
   * Creates the per-source series at 0 before the first batch: rate() ignores the first sample
   * of a series, so a series born at the size of the first batch would hide that batch.
   */
  initSources(sources: readonly string[]): void {
    for (const source of sources) {
      for (const verdict of ['clean', 'redacted', 'quarantined']) {
        this.records.inc({ source, verdict }, 0);
        this.bytes.inc({ source, verdict }, 0);
      }
    }
    for (const outcome of ['commit', 'abort']) this.transactions.inc({ outcome }, 0);
  }

  bindReadiness(ready: () => boolean): void {
    this.readiness = ready;
  }

  setRuleset(version: string): void {
    this.rulesetInfo.reset();
    this.rulesetInfo.set({ version }, 1);
  }

  /** Per-partition series go away when a partition is revoked. */
  forgetPartition(topic: string, partition: number): void {
    const labels = { topic, partition: String(partition) };
    this.consumerLag.remove(labels);
    this.keystrokeHeldEvents.remove(labels);
    this.keystrokeOldestHeldAge.remove(labels);
  }
}
