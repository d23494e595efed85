import { randomBytes } from 'node:crypto';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { SchemaRegistry } from '@sluice/scrubber/dist/codec/schema-registry';
import { seededRng, type Rng } from '@sluice/scrubber/dist/demo/synthetic-secrets';
import { OpsServer } from '@sluice/scrubber/dist/http/ops-server';
import { createKafka } from '@sluice/scrubber/dist/kafka/kafka-client';
import type { Logger } from '@sluice/scrubber/dist/log/logger';
import { describeError } from '@sluice/scrubber/dist/errors';
import type { CanaryConfig, CanaryType } from './config';
import { buildCanary } from './canary-records';
import { CanaryLedger } from './canary-ledger';
import { CanaryMetrics } from './canary-metrics';
import { CanaryVerifier } from './canary-verifier';

/**
 * The canary: a producer that writes one synthetic secret every `canary.intervalMs` into the raw
 * topics (cycling through the configured types), and a verifier that proves each one was caught
 * or counts it as an escape. Both halves run in one process so the ledger needs no storage.
 */
export class CanaryService {
  readonly metrics = new CanaryMetrics();
  readonly ledger: CanaryLedger;
  private readonly registry = SchemaRegistry.load();
  private readonly rng: Rng;
  private kafka: Kafka;
  private admin: Admin | null = null;
  private producer: Producer | null = null;
  private verifier: CanaryVerifier | null = null;
  private ops: OpsServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private expiry: NodeJS.Timeout | null = null;
  private sentCount = 0;
  private nextType = 0;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  httpPort = 0;

  constructor(
    private readonly config: CanaryConfig,
    private readonly logger: Logger,
  ) {
    this.kafka = createKafka(config, logger); // registers the snappy/lz4/zstd codecs too
    this.rng = seededRng(config.canary.seed ?? randomBytes(4).readUInt32LE(0));
    this.ledger = new CanaryLedger({
      caught: (c, verdict, seconds) => {
        this.metrics.caught.inc({ type: c.type, verdict });
        this.metrics.catchLatency.observe({ type: c.type }, seconds);
        this.metrics.lastCatch.set(Date.now() / 1000);
        logger.debug({ canary: c.id, type: c.type, verdict, seconds }, 'canary caught');
      },
      escaped: (c) => this.metrics.escaped.inc({ type: c.type }),
      timedOut: (c) => {
        this.metrics.timedOut.inc({ type: c.type });
        logger.warn(
          { canary: c.id, type: c.type, timeoutMs: config.canary.resolveTimeoutMs },
          'canary got no verdict in time',
        );
      },
    });
    this.metrics.init(config.canary.types, () => this.ledger.pendingByType());
  }

  get sent(): number {
    return this.sentCount;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    if (config.http.enabled) {
      this.ops = new OpsServer({
        host: config.http.host,
        port: config.http.port,
        registry: this.metrics.registry,
        healthy: () => ({ ok: !this.stopped, detail: { sent: this.sentCount } }),
        ready: () => ({
          ok: this.producer !== null && (!config.verifier.enabled || (this.verifier?.ready ?? false)),
          detail: { sent: this.sentCount, pending: this.ledger.pending },
        }),
      });
      this.httpPort = await this.ops.start();
    }
    this.admin = this.kafka.admin();
    await this.admin.connect();
    if (config.verifier.enabled) {
      const outputTopics: string[] = [];
      for (const s of [config.chat, config.telemetry]) if (s) outputTopics.push(s.clean, s.redacted);
      this.verifier = new CanaryVerifier({
        kafka: this.kafka,
        admin: this.admin,
        registry: this.registry,
        ledger: this.ledger,
        logger,
        groupId: `${config.verifier.groupIdPrefix}-${config.instanceId}`,
        outputTopics,
        auditTopic: config.auditTopic,
      });
      // Positioned before the first canary is sent, so none can slip past unseen.
      await this.verifier.start();
    }
    const producer = this.kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    this.producer = producer;
    this.timer = setInterval(() => this.tick(), config.canary.intervalMs);
    this.expiry = setInterval(() => this.ledger.expire(Date.now(), config.canary.resolveTimeoutMs), 1000);
    this.expiry.unref();
    logger.info(
      { types: config.canary.types, intervalMs: config.canary.intervalMs, port: this.httpPort },
      'canary running',
    );
    this.tick();
  }

  private tick(): void {
    if (this.stopped || this.inFlight) return; // never more than one send outstanding: a steady rate
    const max = this.config.canary.maxCanaries;
    if (max > 0 && this.sentCount >= max) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    const types = this.config.canary.types;
    const type = types[this.nextType++ % types.length]!;
    this.inFlight = this.sendOne(type).finally(() => (this.inFlight = null));
  }

  private async sendOne(type: CanaryType): Promise<void> {
    const id = `cny-${this.config.instanceId}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const batch = buildCanary(this.registry, this.rng, type, id, this.config.instanceId);
    const target = batch.kind === 'chat' ? this.config.chat! : this.config.telemetry!;
    const tracked = this.ledger.begin(id, type, batch.secrets, Date.now());
    try {
      const res = await this.producer!.send({
        topic: target.topic,
        acks: -1,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
      // One key, so one partition: the records sit at baseOffset, baseOffset + 1, ...
      const meta = res[0]!;
      const base = BigInt(meta.baseOffset ?? '0');
      const coords: Array<{ topic: string; partition: number; offset: bigint; secretChar: string | null }> =
        [];
      batch.messages.forEach((m, i) => {
        if (batch.type === 'keystroke' && m.secretChar === null) return; // context keys are not the secret
        coords.push({
          topic: target.topic,
          partition: meta.partition,
          offset: base + BigInt(i),
          secretChar: m.secretChar,
        });
      });
      this.sentCount++;
      this.metrics.sent.inc({ type });
      this.metrics.records.inc({ type }, batch.messages.length);
      this.ledger.placed(tracked, coords);
    } catch (err) {
      this.ledger.abandon(tracked);
      this.metrics.sendErrors.inc({ type });
      this.logger.warn({ type, err: describeError(err).message }, 'canary send failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.expiry) clearInterval(this.expiry);
    await this.inFlight;
    await this.producer?.disconnect();
    await this.verifier?.stop();
    await this.admin?.disconnect();
    await this.ops?.stop();
  }
}
