import { createHmac } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { SchemaRegistry } from '../codec/schema-registry';
import { encodeAvro } from '../codec/record-codec';
import type { ProcessedBatch } from '../route/batch-processor';
import { SchemaIds } from '../quarantine/envelope-writer';
import { isNextOffset } from '../kafka/offsets';

const VERDICT_SYMBOL = { clean: 'CLEAN', redacted: 'REDACTED', quarantined: 'QUARANTINED' } as const;

/**
 * One compact audit record per input record: where it went (topic, partition, offset) and why
 * (verdict, reason, rule ids, keyed fingerprints, ruleset). No payloads, no matched values.
 * Audit records of a source partition go to one audit partition, in input order.
 */
export class AuditWriter {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly fingerprintKey: Buffer,
    private readonly instanceId: string,
    private readonly rulesetVersion: () => string,
    /** Audit runs of range-auditable clean records as one record per offset range (audit.cleanRanges). */
    private readonly rangeClean = false,
  ) {}

  build(
    topic: string,
    partition: number,
    processed: ProcessedBatch,
    outputOffsets: ReadonlyArray<string | null>,
    auditPartitions: number,
  ): Message[] {
    const auditPartition = partition % auditPartitions;
    const key = Buffer.from(`${topic}/${partition}`);
    const now = Date.now();
    const ruleset = this.rulesetVersion();
    const out: Message[] = [];
    for (let i = 0; i < processed.outcomes.length; i++) {
      const o = processed.outcomes[i]!;
      const msg = processed.outputs[o.outputIndex]!;
      // A run of clean records that went, in order, to consecutive offsets of one output
      // partition is audited once, as a source offset range: auditing must not double the
      // message rate. Every redacted or quarantined record keeps its own decision.
      let rangeEnd: string | null = null;
      if (this.rangeClean && o.rangeAuditable && outputOffsets[o.outputIndex] !== null) {
        let j = i;
        while (j + 1 < processed.outcomes.length) {
          const n = processed.outcomes[j + 1]!;
          const prev = processed.outcomes[j]!;
          const a = outputOffsets[prev.outputIndex];
          const b = outputOffsets[n.outputIndex];
          if (
            !n.rangeAuditable ||
            n.outputTopic !== o.outputTopic ||
            a === null ||
            b === null ||
            !isNextOffset(a, b)
          )
            break;
          if (!isNextOffset(prev.offset, n.offset)) break;
          j++;
        }
        if (j > i) {
          rangeEnd = processed.outcomes[j]!.offset;
          i = j;
        }
      }
      const ruleIds: string[] = [];
      const categories: string[] = [];
      const fingerprints: string[] = [];
      const shadow: string[] = [];
      for (const f of o.decision.findings) {
        if (f.shadow) {
          if (!shadow.includes(f.ruleId)) shadow.push(f.ruleId);
          continue;
        }
        if (!ruleIds.includes(f.ruleId)) ruleIds.push(f.ruleId);
        if (!categories.includes(f.category)) categories.push(f.category);
        if (!fingerprints.includes(f.fingerprint)) fingerprints.push(f.fingerprint);
      }
      const value = encodeAvro(this.registry, SchemaIds.audit, {
        auditVersion: 1,
        source: {
          topic,
          partition,
          offset: Number(o.offset),
          timestampMs: Number.isFinite(o.timestampMs) ? o.timestampMs : 0,
          keyFingerprint: o.keyFingerprint,
        },
        verdict: VERDICT_SYMBOL[o.decision.verdict],
        reason: o.decision.reason,
        outputTopic: o.outputTopic,
        outputPartition: msg.partition,
        outputOffset: outputOffsets[o.outputIndex] === null ? null : Number(outputOffsets[o.outputIndex]),
        ruleIds,
        categories,
        fingerprints,
        shadowRuleIds: shadow,
        rulesetVersion: ruleset,
        instanceId: this.instanceId,
        decidedAtMs: now,
        offsetRangeEnd: rangeEnd === null ? null : Number(rangeEnd),
        releasedBy: null,
        releasedFrom: null,
      });
      out.push({ key, value, partition: auditPartition });
    }
    return out;
  }

  keyFingerprint(key: Buffer | null): string | null {
    return key ? createHmac('sha256', this.fingerprintKey).update(key).digest('hex') : null;
  }
}
