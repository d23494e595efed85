import type { Message } from 'kafkajs';
import type { SchemaRegistry } from '../codec/schema-registry';
import { decodeAvro, encodeAvro } from '../codec/record-codec';
import { ErrorCodes } from '../errors';
import { SchemaIds } from '../quarantine/envelope-writer';

/** A decoded io.sluice.SourceCoordinates: the record type both the audit record and the quarantine envelope name. */
export interface SourceCoordinates {
  topic: string;
  partition: number;
  offset: number;
  timestampMs: number | Date;
  keyFingerprint: string | null;
}

/** A decoded io.sluice.AuditRecord (schemas/audit-record.avsc). */
export interface AuditRecord {
  auditVersion: number;
  source: SourceCoordinates;
  verdict: 'CLEAN' | 'REDACTED' | 'QUARANTINED';
  reason: string | null;
  outputTopic: string;
  outputPartition: number | null;
  outputOffset: number | null;
  ruleIds: string[];
  categories: string[];
  fingerprints: string[];
  shadowRuleIds: string[];
  rulesetVersion: string;
  instanceId: string;
  decidedAtMs: number | Date;
  offsetRangeEnd: number | null;
  releasedBy: string | null;
  releasedFrom: string | null;
}

export function decodeAuditRecord(registry: SchemaRegistry, value: Buffer): AuditRecord {
  return decodeAvro(registry, value).value as AuditRecord;
}

/** Audit records of a source partition all go to one audit partition, keyed `topic/partition`, in order. */
export function auditPartitionOf(sourcePartition: number, auditPartitions: number): number {
  return sourcePartition % auditPartitions;
}

export function auditKey(topic: string, partition: number): Buffer {
  return Buffer.from(`${topic}/${partition}`);
}

/** True when this audit record covers the given source offset (single record or a range audit). */
export function coversOffset(a: AuditRecord, topic: string, partition: number, offset: number): boolean {
  if (a.source.topic !== topic || a.source.partition !== partition) return false;
  const end = a.offsetRangeEnd ?? a.source.offset;
  return offset >= a.source.offset && offset <= end;
}

export interface ReleaseAuditInput {
  source: {
    topic: string;
    partition: number;
    offset: number;
    timestampMs: number;
    keyFingerprint: string | null;
  };
  verdict: 'CLEAN' | 'REDACTED';
  outputTopic: string;
  outputPartition: number;
  outputOffset: number | null;
  ruleIds: string[];
  categories: string[];
  fingerprints: string[];
  rulesetVersion: string;
  instanceId: string;
  releasedBy: string;
  releasedFrom: string;
}

/** The audit record of a release (`sluice quarantine release`): reason SLUICE_RELEASED, who, from where. */
export function buildReleaseAudit(
  registry: SchemaRegistry,
  input: ReleaseAuditInput,
  auditPartitions: number,
): Message {
  const value = encodeAvro(registry, SchemaIds.audit, {
    auditVersion: 1,
    source: input.source,
    verdict: input.verdict,
    reason: ErrorCodes.RELEASED,
    outputTopic: input.outputTopic,
    outputPartition: input.outputPartition,
    outputOffset: input.outputOffset,
    ruleIds: input.ruleIds,
    categories: input.categories,
    fingerprints: input.fingerprints,
    shadowRuleIds: [],
    rulesetVersion: input.rulesetVersion,
    instanceId: input.instanceId,
    decidedAtMs: Date.now(),
    offsetRangeEnd: null,
    releasedBy: input.releasedBy,
    releasedFrom: input.releasedFrom,
  });
  return {
    key: auditKey(input.source.topic, input.source.partition),
    value,
    partition: auditPartitionOf(input.source.partition, auditPartitions),
  };
}
