import type { KeyObject } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '../codec/schema-registry';
import type { SluiceConfig } from '../config/load-config';
import { ErrorCodes, SluiceError } from '../errors';
import { buildReleaseAudit } from '../audit/audit-record';
import { describeAuditHit, findAudit } from '../audit/audit-lookup';
import { formatCoordinates, QuarantineReview, releasedRecord, type Coordinates } from './quarantine-review';

export interface ReleaseOptions {
  /** The quarantine record (its id in the quarantine topic). */
  at: Coordinates;
  to: 'clean' | 'redacted';
  /** Who released it: goes into the audit record and a header. */
  principal: string;
  /** Security's own transactional id (ACL: PREFIXED transactional id for security). */
  transactionalId: string;
  privateKey: KeyObject;
  groupPrefix: string;
  instanceId: string;
}

export interface ReleaseResult {
  source: string;
  target: { topic: string; partition: number; offset: string };
  audit: { topic: string; partition: number };
}

/** Reasons a record must never leave quarantine, whatever a reviewer decides. */
const NEVER_RELEASE = new Set<string>([ErrorCodes.PASSWORD_FIELD, ErrorCodes.TOO_LARGE]);

/**
 * Releases a quarantined record judged a false positive to its clean or redacted topic, exactly
 * once: one transaction (security's transactional id) carries the released record and its audit
 * record. The producer is initialised BEFORE the audit check: InitProducerId aborts or completes
 * any earlier release still in flight under the same id, so the read_committed check that
 * follows sees every committed release and a second release of the same record is refused.
 */
export async function releaseQuarantined(
  kafka: Kafka,
  registry: SchemaRegistry,
  config: SluiceConfig,
  opts: ReleaseOptions,
): Promise<ReleaseResult> {
  const review = new QuarantineReview(kafka, registry, config, opts.groupPrefix);
  const item = await review.get(opts.at);
  const e = item.envelope;
  if (NEVER_RELEASE.has(e.reason)) {
    throw new SluiceError(
      ErrorCodes.RELEASE_REFUSED,
      `${formatCoordinates(opts.at)} was quarantined with ${e.reason}; such records are never released`,
      {
        hint: 'password-field keystrokes and records carried by reference stay in quarantine by design (DESIGN.md)',
      },
    );
  }
  const source = review.sourceOf(e);
  const opened = await review.open(item, opts.privateKey);
  const record = releasedRecord(registry, source, e, opened, opts.to, opts.principal);
  const target = opts.to === 'clean' ? source.outputs.clean : source.outputs.redacted;
  const partition = e.source.partition;

  const producer: Producer = kafka.producer({
    transactionalId: opts.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    transactionTimeout: 60_000,
  });
  await producer.connect();
  try {
    const txn = await producer.transaction();
    let committed = false;
    try {
      const prior = await findAudit(
        kafka,
        registry,
        { auditTopic: config.auditTopic, groupPrefix: opts.groupPrefix },
        { topic: e.source.topic, partition: e.source.partition, offset: e.source.offset },
      );
      const released = prior.hits.find((h) => h.record.releasedBy !== null);
      if (released) {
        throw new SluiceError(
          ErrorCodes.ALREADY_RELEASED,
          `already released: ${describeAuditHit(released)}`,
          {
            hint: 'a record is released at most once; see `sluice audit where`',
          },
        );
      }
      const sent = await txn.send({
        topic: target,
        acks: -1,
        messages: [{ partition, key: record.key, value: record.value, headers: record.headers }],
      });
      const offset = sent.find((r) => r.topicName === target)?.baseOffset ?? null;
      const ruleIds = [...new Set(e.findings.map((f) => f.ruleId))];
      const audit = buildReleaseAudit(
        registry,
        {
          source: {
            topic: e.source.topic,
            partition: e.source.partition,
            offset: e.source.offset,
            timestampMs:
              e.source.timestampMs instanceof Date
                ? e.source.timestampMs.getTime()
                : Number(e.source.timestampMs),
            keyFingerprint: e.source.keyFingerprint,
          },
          verdict: opts.to === 'clean' ? 'CLEAN' : 'REDACTED',
          outputTopic: target,
          outputPartition: partition,
          outputOffset: offset === null ? null : Number(offset),
          ruleIds,
          categories: [...new Set(e.findings.map((f) => f.category))],
          fingerprints: [...new Set(e.findings.map((f) => f.fingerprint))],
          rulesetVersion: e.rulesetVersion,
          instanceId: opts.instanceId,
          releasedBy: opts.principal,
          releasedFrom: formatCoordinates(opts.at),
        },
        prior.auditPartitions,
      );
      await txn.send({ topic: config.auditTopic, acks: -1, messages: [audit] });
      await txn.commit();
      committed = true;
      return {
        source: `${e.source.topic}/${e.source.partition}/${e.source.offset}`,
        target: { topic: target, partition, offset: offset ?? '?' },
        audit: { topic: config.auditTopic, partition: audit.partition! },
      };
    } finally {
      if (!committed) await txn.abort().catch(() => undefined);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
