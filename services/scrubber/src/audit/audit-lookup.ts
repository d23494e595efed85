import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '../codec/schema-registry';
import { readTopics } from '../security/topic-reader';
import { auditPartitionOf, coversOffset, decodeAuditRecord, type AuditRecord } from './audit-record';

export interface AuditLookup {
  topic: string;
  partition: number;
  offset: number;
}

export interface AuditHit {
  /** Where the audit record itself sits. */
  at: { topic: string; partition: number; offset: string };
  record: AuditRecord;
}

/**
 * Every audit record of one source coordinate, in audit-log order: the routing decision, then any
 * release. Reads only audit partition `sourcePartition % auditPartitions` (AuditWriter's layout),
 * and only records keyed `topic/partition`, so the cost is that partition's size, not the topic's.
 */
export async function findAudit(
  kafka: Kafka,
  registry: SchemaRegistry,
  opts: { auditTopic: string; groupPrefix: string; deadlineMs?: number },
  what: AuditLookup,
): Promise<{ hits: AuditHit[]; auditPartition: number; auditPartitions: number; scanned: number }> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    partitions = (await admin.fetchTopicOffsets(opts.auditTopic)).length;
  } finally {
    await admin.disconnect();
  }
  const auditPartition = auditPartitionOf(what.partition, partitions);
  const wantKey = `${what.topic}/${what.partition}`;
  const hits: AuditHit[] = [];
  let scanned = 0;
  await readTopics(kafka, {
    topics: [opts.auditTopic],
    partitions: { [opts.auditTopic]: [auditPartition] },
    groupPrefix: opts.groupPrefix,
    ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
    onMessage: (m) => {
      scanned++;
      if (!m.value || m.key?.toString('utf8') !== wantKey) return;
      const record = decodeAuditRecord(registry, m.value);
      if (coversOffset(record, what.topic, what.partition, what.offset)) {
        hits.push({ at: { topic: m.topic, partition: m.partition, offset: m.offset }, record });
      }
    },
  });
  return { hits, auditPartition, auditPartitions: partitions, scanned };
}

/**
 * Every audit record that carries a keyed fingerprint, among its findings' fingerprints or as its
 * record key's: "which records held this leaked key / this person's phone number". Reads the whole
 * audit topic (fingerprints are not a partitioning key); `limit` stops early.
 */
export async function findByFingerprint(
  kafka: Kafka,
  registry: SchemaRegistry,
  opts: { auditTopic: string; groupPrefix: string; deadlineMs?: number; limit?: number },
  fp: string,
): Promise<{ hits: AuditHit[]; scanned: number }> {
  const want = fp.toLowerCase();
  const hits: AuditHit[] = [];
  let scanned = 0;
  await readTopics(kafka, {
    topics: [opts.auditTopic],
    groupPrefix: opts.groupPrefix,
    ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
    onMessage: (m) => {
      scanned++;
      if (!m.value) return false;
      const record = decodeAuditRecord(registry, m.value);
      if (record.fingerprints.includes(want) || record.source.keyFingerprint === want) {
        hits.push({ at: { topic: m.topic, partition: m.partition, offset: m.offset }, record });
      }
      return opts.limit !== undefined && hits.length >= opts.limit; // true: stop reading
    },
  });
  return { hits, scanned };
}

/** One human-readable answer per audit record: where the record went, and why. */
export function describeAuditHit(h: AuditHit): string {
  const r = h.record;
  const src = `${r.source.topic}/${r.source.partition}/${r.source.offset}`;
  const dest = `${r.outputTopic}${r.outputPartition !== null ? `/${r.outputPartition}` : ''}${r.outputOffset !== null ? `/${r.outputOffset}` : ''}`;
  const when = new Date(r.decidedAtMs).toISOString();
  if (r.releasedBy) {
    return `${src} RELEASED to ${dest} by ${r.releasedBy} at ${when} (from ${r.releasedFrom ?? '?'}, verdict ${r.verdict})`;
  }
  const why = [
    r.reason ? `reason ${r.reason}` : null,
    r.ruleIds.length > 0 ? `rules ${r.ruleIds.join(',')}` : null,
    r.categories.length > 0 ? `categories ${r.categories.join(',')}` : null,
    r.shadowRuleIds.length > 0 ? `shadow ${r.shadowRuleIds.join(',')}` : null,
  ]
    .filter(Boolean)
    .join('; ');
  return `${src} ${r.verdict} -> ${dest} at ${when} by ${r.instanceId} (ruleset ${r.rulesetVersion})${why ? `: ${why}` : ''}`;
}
