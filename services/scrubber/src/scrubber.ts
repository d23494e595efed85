import { resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import { SchemaRegistry } from './codec/schema-registry';
import type { SluiceConfig } from './config/load-config';
import { createKafka } from './kafka/kafka-client';
import { ScrubberPipeline } from './kafka/scrubber-pipeline';
import type { Logger } from './log/logger';
import { ScrubberMetrics } from './metrics/scrubber-metrics';
import { OpsServer } from './http/ops-server';
import { AuditWriter } from './audit/audit-writer';
import { EnvelopeWriter } from './quarantine/envelope-writer';
import { BatchProcessor } from './route/batch-processor';
import { AvroValueCodec } from './route/avro-value-codec';
import { WorkerPool } from './scan/pool';
import type { RecordScanner } from './scan/types';

export interface ScrubberOptions {
  config: SluiceConfig;
  logger: Logger;
  /** Tests may hand in an in-thread scanner; production uses the worker pool. */
  scanner?: RecordScanner;
  kafka?: Kafka;
}

/** Engine options as the scan workers receive them (plain data: they cross a thread boundary). */
export function engineOptionsFrom(config: SluiceConfig): Record<string, unknown> {
  return {
    fingerprintKey: Buffer.from(config.fingerprintKey),
    includeBuiltin: config.scan.includeBuiltinRules,
    ruleDirs: config.scan.ruleDirs.map((d) => resolve(d)),
    regexEngine: config.scan.regexEngine,
    overrides: {
      rules: structuredClone(config.scan.overrides),
      sources: structuredClone(config.scan.sourceOverrides),
    },
    internalDomains: [...config.scan.internalDomains],
  };
}

/** The whole service: worker pool, pipeline, ops HTTP server. start() resolves once consuming. */
export class Scrubber {
  readonly metrics = new ScrubberMetrics();
  private pipeline: ScrubberPipeline | null = null;
  private ops: OpsServer | null = null;
  private scanner: RecordScanner | null = null;
  private ownsScanner = false;
  private stopping: Promise<void> | null = null;
  httpPort = 0;

  constructor(private readonly opts: ScrubberOptions) {}

  get rulesetVersion(): string {
    return this.scanner?.rulesetVersion ?? 'unknown';
  }

  async start(): Promise<void> {
    const { config, logger } = this.opts;
    const registry = SchemaRegistry.load(
      config.schemas.registryFile ? resolve(config.schemas.registryFile) : undefined,
    );

    if (this.opts.scanner) this.scanner = this.opts.scanner;
    else {
      const pool = new WorkerPool({
        engineOptions: engineOptionsFrom(config),
        ...(config.scan.workers !== undefined ? { workers: config.scan.workers } : {}),
        ...(config.scan.engineModule !== undefined
          ? { engineModulePath: resolve(config.scan.engineModule) }
          : {}),
        maxQueuedBatches: config.scan.maxQueuedBatches,
        tasksPerWorker: config.scan.tasksPerWorker,
        taskTimeoutBaseMs: config.scan.taskTimeoutMs,
        maxOldGenerationSizeMb: config.scan.workerMaxOldGenerationMb,
      });
      pool.on('restart', (e) => {
        this.metrics.workerRestarts.inc({ reason: e.reason });
        logger.warn({ reason: e.reason, workerId: e.workerId }, 'scan worker replaced');
      });
      await pool.start();
      this.scanner = pool;
      this.ownsScanner = true;
    }
    const scanner = this.scanner;
    this.metrics.setRuleset(scanner.rulesetVersion);
    logger.info({ ruleset: scanner.rulesetVersion }, 'scan engine ready');

    const kafka = this.opts.kafka ?? createKafka(config, logger);
    const envelopes = new EnvelopeWriter(
      registry,
      config.quarantinePublicKey,
      config.quarantineKeyId,
      config.instanceId,
      {
        dataKeyTopic: config.quarantine.dataKeys === 'topic' ? config.quarantine.dataKeyTopic : null,
      },
    );
    const rulesetVersion = () => scanner.rulesetVersion;
    const processors = new Map<string, BatchProcessor>();
    for (const source of config.sources) {
      processors.set(
        source.topic,
        new BatchProcessor({
          source,
          codec: new AvroValueCodec(registry, source),
          scanner,
          envelopes,
          fingerprintKey: config.fingerprintKey,
          maxRecordBytes: config.limits.maxRecordBytes,
          rulesetVersion,
          auditCleanRanges: config.audit.cleanRanges,
        }),
      );
    }
    const audit = new AuditWriter(
      registry,
      config.fingerprintKey,
      config.instanceId,
      rulesetVersion,
      config.audit.cleanRanges !== 'none',
    );
    this.pipeline = new ScrubberPipeline({
      config,
      kafka,
      logger,
      metrics: this.metrics,
      processors,
      audit,
      scanner,
    });
    this.metrics.bindReadiness(() => this.pipeline?.ready ?? false);
    this.metrics.initSources(config.sources.map((s) => s.name));

    if (config.http.enabled) {
      this.ops = new OpsServer({
        host: config.http.host,
        port: config.http.port,
        registry: this.metrics.registry,
        healthy: () => ({
          ok: this.pipeline?.status !== 'failed',
          detail: { status: this.pipeline?.status ?? 'starting' },
        }),
        ready: () => ({
          ok: this.pipeline?.ready ?? false,
          detail: {
            status: this.pipeline?.status ?? 'starting',
            partitions: this.pipeline?.assignedPartitions.length ?? 0,
          },
        }),
      });
      this.httpPort = await this.ops.start();
      logger.info({ port: this.httpPort }, 'ops endpoints on /metrics /healthz /readyz');
    }
    if (scanner instanceof WorkerPool) {
      this.metrics.bindPool(() => ({ queueDepth: scanner.queueDepth, busyWorkers: scanner.busyWorkers }));
      this.metrics.bindPoolHeap(() => scanner.heapStatistics());
    }
    await this.pipeline.start();
  }

  /**
   * Reloads the rules (rule files, overrides, internal domains) without dropping a batch: new
   * workers compile the new ruleset, batches in flight finish on the old one, and outputs name
   * the ruleset current when their chunk is written. `config` supplies the new scan options (other keys are ignored:
   * they need a restart). A ruleset that fails to load leaves the old one scanning, and throws.
   */
  async reloadRules(config: SluiceConfig = this.opts.config): Promise<{ from: string; to: string }> {
    const pool = this.scanner;
    if (!(pool instanceof WorkerPool)) throw new Error('reloadRules needs the worker pool scanner');
    const from = pool.rulesetVersion;
    await pool.reload(engineOptionsFrom(config));
    const to = pool.rulesetVersion;
    this.metrics.setRuleset(to);
    this.opts.logger.info({ from, to }, 'rules reloaded');
    return { from, to };
  }

  onFatal(fn: (err: Error) => void): void {
    if (!this.pipeline) throw new Error('start() first');
    this.pipeline.onFatal(fn);
  }

  get pipelineStatus(): string {
    return this.pipeline?.status ?? 'starting';
  }

  /** Drains in-flight batches (their transactions commit), leaves the group, stops workers. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.pipeline?.stop();
      } finally {
        if (this.ownsScanner) await this.scanner?.close();
        await this.ops?.stop();
      }
    })();
    return this.stopping;
  }
}
