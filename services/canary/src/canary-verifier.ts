import type { Admin, Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { decodeAvro } from '@sluice/scrubber/dist/codec/record-codec';
import type { SchemaRegistry } from '@sluice/scrubber/dist/codec/schema-registry';
import { flattenHeaders, SluiceHeaders } from '@sluice/scrubber/dist/route/headers';
import type { Logger } from '@sluice/scrubber/dist/log/logger';
import { describeError } from '@sluice/scrubber/dist/errors';
import { waitUntil } from './wait';
import { CANARY_HEADER } from './canary-records';
import type { AuditVerdict, CanaryLedger, OutputCheck, TrackedCanary } from './canary-ledger';

/** Audit records are Confluent-framed Avro with this registry id (schemas/registry.json). */
export const AUDIT_SCHEMA_ID = 4;

export interface VerifierOptions {
  kafka: Kafka;
  admin: Admin;
  registry: SchemaRegistry;
  ledger: CanaryLedger;
  logger: Logger;
  groupId: string;
  outputTopics: string[];
  auditTopic: string;
}

/**
 * Reads clean and redacted topics and the audit topic (read_committed, as trainers do) and
 * feeds the ledger. Starts from the moment it started (offsets by timestamp), not from the
 * beginning: it verifies only canaries this process sent.
 */
export class CanaryVerifier {
  private consumer: Consumer | null = null;
  private positioned = false;
  private readonly seen = new Set<string>();
  private readonly startedAtMs = Date.now();

  constructor(private readonly opts: VerifierOptions) {}

  /** True once the consumer joined and every assigned partition was positioned. */
  get ready(): boolean {
    return this.positioned;
  }

  async start(deadlineMs = 120_000): Promise<void> {
    const { kafka, admin, logger, groupId, outputTopics, auditTopic } = this.opts;
    const topics = [...outputTopics, auditTopic];
    // The scrubber creates its output topics at start; wait for them rather than fail.
    await waitUntil(
      async () => {
        const have = new Set(await admin.listTopics());
        return topics.every((t) => have.has(t));
      },
      { what: `topics ${topics.join(', ')} to exist`, deadlineMs, intervalMs: 1000 },
    );
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      void this.position(e.payload.memberAssignment).catch((err: unknown) =>
        logger.warn({ err: describeError(err).message }, 'verifier could not position partitions'),
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({ eachMessage: (p) => this.onMessage(p) });
    await waitUntil(() => this.positioned, {
      what: 'verifier to join its group',
      deadlineMs,
      intervalMs: 50,
    });
  }

  private async position(assignment: Record<string, number[]>): Promise<void> {
    for (const [topic, parts] of Object.entries(assignment)) {
      const fresh = parts.filter((p) => !this.seen.has(`${topic}:${p}`));
      if (fresh.length === 0) continue;
      const offsets = await this.opts.admin.fetchTopicOffsetsByTimestamp(topic, this.startedAtMs);
      for (const p of fresh) {
        const o = offsets.find((x) => x.partition === p);
        if (o) this.consumer!.seek({ topic, partition: p, offset: o.offset });
        this.seen.add(`${topic}:${p}`);
      }
    }
    this.positioned = true;
  }

  private async onMessage({ topic, message }: EachMessagePayload): Promise<void> {
    if (topic === this.opts.auditTopic) {
      this.onAudit(message.value);
      return;
    }
    const headers = flattenHeaders(message.headers);
    let id: string | null = null;
    let source: string | null = null;
    for (const h of headers) {
      if (h.name === CANARY_HEADER) id = h.value.toString('utf8');
      else if (h.name === SluiceHeaders.source) source = h.value.toString('utf8');
    }
    const { ledger } = this.opts;
    let canary: TrackedCanary | undefined;
    let secretChar: string | null = null;
    const byCoord = source ? ledger.findByCoord(source) : undefined;
    if (byCoord) ({ canary, secretChar } = byCoord);
    else if (id) canary = ledger.findById(id);
    if (!canary) return;
    let check: OutputCheck;
    if (secretChar !== null) check = this.keystrokeLeaked(message.value, secretChar) ? 'leaked' : 'no-secret';
    else if (canary.type === 'keystroke')
      return; // a context key of a keystroke canary, not its secret
    else check = containsAny(canary.secrets, message.key, message.value, headers) ? 'leaked' : 'no-secret';
    if (check === 'leaked') {
      // The id is ours and harmless; the secret itself is never logged.
      this.opts.logger.error(
        { canary: canary.id, type: canary.type, topic, source },
        'CANARY ESCAPED: its secret reached a training topic',
      );
    }
    ledger.output(canary, source, check);
  }

  /** A keystroke event leaks its character when it reaches clean or redacted with the key intact. */
  private keystrokeLeaked(value: Buffer | null, ch: string): boolean {
    if (!value) return false;
    try {
      const rec = decodeAvro(this.opts.registry, value).value as {
        body?: Record<string, { key?: unknown } | undefined>;
      };
      return rec.body?.['io.sluice.KeyEvent']?.key === ch;
    } catch {
      // A training-topic record we cannot read may still carry the key: fail towards "escape".
      return true;
    }
  }

  private onAudit(value: Buffer | null): void {
    if (!value) return;
    let a: {
      source: { topic: string; partition: number; offset: number | bigint };
      verdict: string;
      decidedAtMs: number | Date;
      offsetRangeEnd: number | bigint | null;
    };
    try {
      const d = decodeAvro(this.opts.registry, value);
      if (d.schemaId !== AUDIT_SCHEMA_ID) return;
      a = d.value as typeof a;
    } catch {
      return;
    }
    this.opts.ledger.audit({
      topic: a.source.topic,
      partition: a.source.partition,
      offset: BigInt(a.source.offset),
      offsetRangeEnd:
        a.offsetRangeEnd === null || a.offsetRangeEnd === undefined ? null : BigInt(a.offsetRangeEnd),
      verdict: a.verdict.toLowerCase() as AuditVerdict,
      decidedAtMs: a.decidedAtMs instanceof Date ? a.decidedAtMs.getTime() : Number(a.decidedAtMs),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function containsAny(
  secrets: readonly Buffer[],
  key: Buffer | null,
  value: Buffer | null,
  headers: ReadonlyArray<{ value: Buffer }>,
): boolean {
  for (const s of secrets) {
    if (key?.includes(s) || value?.includes(s)) return true;
    for (const h of headers) if (h.value.includes(s)) return true;
  }
  return false;
}
