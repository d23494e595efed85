// Audit records, decoded and expanded: a range record (clean keystrokes) covers every source
// offset in [source.offset, offsetRangeEnd]. Used by every tier to check "one decision per input".
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';
import type { SchemaRegistry } from '../../services/scrubber/src/codec/schema-registry';
import type { ConsumedMessage } from './kafka';

export interface AuditEntry {
  source: { topic: string; partition: number; offset: number };
  verdict: string;
  reason: string | null;
  outputTopic: string;
  outputPartition: number | null;
  outputOffset: number | null;
  offsetRangeEnd: number | null;
  ruleIds: string[];
}

/** source coordinate -> the audit entry covering it (and how many covered it, for duplicates). */
export function expandAudit(
  registry: SchemaRegistry,
  messages: ReadonlyArray<Pick<ConsumedMessage, 'value'>>,
): {
  byCoord: Map<string, AuditEntry & { outputOffsetOf: number | null }>;
  covered: number;
  duplicates: string[];
} {
  const byCoord = new Map<string, AuditEntry & { outputOffsetOf: number | null }>();
  const duplicates: string[] = [];
  let covered = 0;
  for (const m of messages) {
    const a = decodeAvro(registry, m.value!).value as AuditEntry;
    const end = a.offsetRangeEnd ?? a.source.offset;
    for (let o = a.source.offset; o <= end; o++) {
      const k = `${a.source.topic}/${a.source.partition}/${o}`;
      if (byCoord.has(k)) duplicates.push(k);
      covered++;
      const outputOffsetOf = a.outputOffset === null ? null : a.outputOffset + (o - a.source.offset);
      byCoord.set(k, { ...a, outputOffsetOf });
    }
  }
  return { byCoord, covered, duplicates };
}

/** An incremental counter of covered offsets, for waiting on "every input audited". */
export function auditCoverageCounter(
  registry: SchemaRegistry,
): (messages: ReadonlyArray<Pick<ConsumedMessage, 'value'>>) => number {
  let seen = 0;
  let covered = 0;
  return (messages) => {
    for (; seen < messages.length; seen++) {
      const a = decodeAvro(registry, messages[seen]!.value!).value as AuditEntry;
      covered += (a.offsetRangeEnd ?? a.source.offset) - a.source.offset + 1;
    }
    return covered;
  };
}
