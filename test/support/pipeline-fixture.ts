// A fresh, isolated Sluice deployment per test: random topic names, group and transactional-id
// prefix, keys; seeded raw traffic whose expected verdicts are known; readers for every output.
import type { Admin, Kafka, Message } from 'kafkajs';
import { SchemaRegistry } from '../../services/scrubber/src/codec/schema-registry';
import { TrafficGenerator, type GeneratedRecord } from '../../services/scrubber/src/demo/traffic-generator';
import {
  brokers,
  consumeAll,
  createTopics,
  kafkaClient,
  produce,
  uniqueName,
  type ConsumedMessage,
} from './kafka';
import { loadConfig, type SluiceConfig } from '../../services/scrubber/src/config/load-config';
import type { Cleanup } from './kafka';
import { coordKey, type Coordinates, type Verdict } from './invariants';
import { auditCoverageCounter } from './audit';
import { makeKeys, type KeyMaterial } from './scrubber-process';

export interface DeploymentTopics {
  rawChat: string;
  rawTelemetry: string;
  audit: string;
  outputs: Record<Verdict, string[]>;
}

export class PipelineFixture {
  readonly id = uniqueName('e2e');
  readonly kafka: Kafka;
  readonly keys: KeyMaterial;
  readonly registry = SchemaRegistry.load();
  readonly topics: DeploymentTopics;
  /** source coordinate -> what was produced there. */
  readonly expectations = new Map<string, GeneratedRecord['expect']>();
  readonly inputs: Coordinates[] = [];
  /** source coordinate -> the raw value bytes produced there. */
  readonly rawValues = new Map<string, Buffer>();
  /** Input keys by coordinate (null for a null key). */
  readonly rawKeys = new Map<string, Buffer | null>();
  private admin: Admin | null = null;

  constructor(
    readonly cleanup: Cleanup,
    readonly partitions = 3,
    /** Explicit brokers (a test's own broker, e.g. for broker bounces); default: the run's test broker. */
    readonly opts: { brokers?: string[] } = {},
  ) {
    this.kafka = kafkaClient(this.id, opts.brokers ? { brokers: opts.brokers } : {});
    this.keys = makeKeys();
    const s = this.id;
    this.topics = {
      rawChat: `raw.chat.${s}`,
      rawTelemetry: `raw.telemetry.${s}`,
      audit: `sluice.audit.${s}`,
      outputs: {
        clean: [`clean.chat.${s}`, `clean.telemetry.${s}`],
        redacted: [`redacted.chat.${s}`, `redacted.telemetry.${s}`],
        quarantined: [`quarantine.chat.${s}`, `quarantine.telemetry.${s}`],
      },
    };
  }

  /** The scrubber config for this deployment (YAML-able). */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const s = this.id;
    return {
      group: {
        id: `sluice-${s}`,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        partitionsConsumedConcurrently: 3,
      },
      transactions: { idPrefix: `sluice-${s}`, timeoutMs: 10000 },
      sources: [
        {
          name: 'chat',
          topic: this.topics.rawChat,
          kind: 'chat',
          outputs: {
            clean: `clean.chat.${s}`,
            redacted: `redacted.chat.${s}`,
            quarantine: `quarantine.chat.${s}`,
          },
        },
        {
          name: 'telemetry',
          topic: this.topics.rawTelemetry,
          kind: 'telemetry',
          outputs: {
            clean: `clean.telemetry.${s}`,
            redacted: `redacted.telemetry.${s}`,
            quarantine: `quarantine.telemetry.${s}`,
          },
        },
      ],
      auditTopic: this.topics.audit,
      scan: { workers: 1 },
      // Every generated line ends with Enter, so runs settle at boundaries; a long idle gap keeps
      // a loaded test machine's pauses between batches from splitting lines at random points.
      keystrokes: { idleGapMs: 15_000 },
      ...(this.opts.brokers ? { kafka: { brokers: this.opts.brokers } } : {}),
      ...extra,
    };
  }

  /** The same config loaded for an in-process Scrubber: the test broker and this deployment's keys. */
  inProcessConfig(extra: Record<string, unknown> = {}): SluiceConfig {
    return loadConfig({
      env: {
        KAFKA_BROKERS: (this.opts.brokers ?? brokers()).join(','),
        SLUICE_FINGERPRINT_KEY: this.keys.fingerprintKey,
        SLUICE_QUARANTINE_PUBLIC_KEY_FILE: this.keys.publicKeyFile,
      },
      overrides: this.config(extra),
    });
  }

  async createRawTopics(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.cleanup.defer('disconnect admin', () => this.admin?.disconnect());
    await createTopics(
      this.admin,
      [
        {
          topic: this.topics.rawChat,
          partitions: this.partitions,
          configs: { 'max.message.bytes': String(64 * 1024 * 1024) },
        },
        { topic: this.topics.rawTelemetry, partitions: this.partitions },
      ],
      this.cleanup,
    );
    const all = [
      ...this.topics.outputs.clean,
      ...this.topics.outputs.redacted,
      ...this.topics.outputs.quarantined,
      this.topics.audit,
    ];
    // Outputs are created by the scrubber; delete them after the test as well.
    this.cleanup.defer('delete output topics', async () => {
      const existing = new Set(await this.admin!.listTopics());
      const mine = all.filter((t) => existing.has(t));
      if (mine.length > 0) await this.admin!.deleteTopics({ topics: mine, timeout: 10000 });
    });
  }

  /** Produces n generated records (chat and telemetry mixed) and records what each must become. */
  async seed(n: number, opts: { seed?: number; sensitiveRate?: number } = {}): Promise<void> {
    const gen = new TrafficGenerator(this.registry, {
      seed: opts.seed ?? 7,
      sensitiveRate: opts.sensitiveRate ?? 0.08,
    });
    const chat: GeneratedRecord[] = [];
    const tele: GeneratedRecord[] = [];
    for (let i = 0; i < n; i++) (i % 5 < 3 ? chat : tele).push(i % 5 < 3 ? gen.chat() : gen.telemetry());
    // Lines still being typed are finished, so no secret is cut off by the end of the corpus;
    // the few extra key events are counted in `inputs`.
    tele.push(...gen.finishTyping());
    await this.produceGenerated(this.topics.rawChat, chat);
    await this.produceGenerated(this.topics.rawTelemetry, tele);
  }

  async produceGenerated(topic: string, records: GeneratedRecord[]): Promise<void> {
    const chunk = 2000;
    for (let i = 0; i < records.length; i += chunk) {
      const part = records.slice(i, i + chunk);
      const msgs: Message[] = part.map((r) => ({ key: r.key, value: r.value, headers: r.headers }));
      await produce(this.kafka, topic, msgs);
    }
    // Map coordinates to expectations by reading the raw topic back (authoritative offsets).
    const raw = await consumeAll(this.kafka, {
      topics: [topic],
      expectedCount: this.countFor(topic) + records.length,
      settleMs: 0,
      deadlineMs: 60_000,
    });
    const byValue = new Map<string, GeneratedRecord['expect']>();
    for (const r of records) byValue.set(r.value.toString('base64'), r.expect);
    for (const m of raw) {
      const c = { topic: m.topic, partition: m.partition, offset: m.offset };
      const k = coordKey(c);
      if (this.expectations.has(k)) continue;
      const e = byValue.get(m.value!.toString('base64'));
      if (!e) continue;
      this.expectations.set(k, e);
      this.rawValues.set(k, m.value!);
      this.rawKeys.set(k, m.key);
      this.inputs.push(c);
    }
  }

  private countFor(topic: string): number {
    return this.inputs.filter((c) => c.topic === topic).length;
  }

  /** Reads every output (read_committed) once the audit topic holds `expected` records. */
  async readOutputs(
    expected: number,
    deadlineMs = 180_000,
  ): Promise<{ outputs: Record<Verdict, ConsumedMessage[]>; audit: ConsumedMessage[] }> {
    // Every input has one decision; clean keystroke runs share one range record.
    const coverage = auditCoverageCounter(this.registry);
    const audit = await consumeAll(this.kafka, {
      topics: [this.topics.audit],
      until: (ms) => coverage(ms) >= expected,
      settleMs: 1000,
      deadlineMs,
    });
    const { clean, redacted, quarantined } = this.topics.outputs;
    // All outputs in one read: exactly `expected` must arrive; the settle window shows extras.
    const all = await consumeAll(this.kafka, {
      topics: [...clean, ...redacted, ...quarantined],
      expectedCount: expected,
      settleMs: 1500,
      deadlineMs: 60_000,
    });
    const pick = (names: string[]) => all.filter((m) => names.includes(m.topic));
    return {
      audit,
      outputs: { clean: pick(clean), redacted: pick(redacted), quarantined: pick(quarantined) },
    };
  }

  secrets(): string[] {
    const out: string[] = [];
    for (const e of this.expectations.values()) out.push(...e.secrets);
    return out;
  }
}
