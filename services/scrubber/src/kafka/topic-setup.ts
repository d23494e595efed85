import type { Admin, ITopicConfig } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { ErrorCodes, SluiceError } from '../errors';
import type { SluiceConfig } from '../config/load-config';
import type { Logger } from '../log/logger';

export interface TopicLayout {
  /** Partition count of each source topic (outputs have the same). */
  sourcePartitions: Map<string, number>;
  auditPartitions: number;
}

/** Overhead of a quarantine envelope over the record it carries (coordinates, findings, crypto). */
export const ENVELOPE_OVERHEAD_BYTES = 64 * 1024;

async function partitionCounts(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const out = new Map<string, number>();
  if (present.length === 0) return out;
  const md = await admin.fetchTopicMetadata({ topics: present });
  for (const t of md.topics) out.set(t.name, t.partitions.length);
  return out;
}

/**
 * Output topics are created with the source's partition count (records are produced to the
 * source partition number, so downstream partitioning is unchanged) or validated if they exist.
 */
export async function ensureTopics(admin: Admin, config: SluiceConfig, logger: Logger): Promise<TopicLayout> {
  const sourceTopics = config.sources.map((s) => s.topic);
  const outputTopics = config.sources.flatMap((s) => [
    s.outputs.clean,
    s.outputs.redacted,
    s.outputs.quarantine,
  ]);
  const counts = await partitionCounts(admin, [...sourceTopics, ...outputTopics, config.auditTopic]);

  const missingSources = sourceTopics.filter((t) => !counts.has(t));
  if (missingSources.length > 0) {
    throw new SluiceError(
      ErrorCodes.TOPIC_MISMATCH,
      `source topic(s) not found: ${missingSources.join(', ')}`,
      {
        hint: 'create the raw topics (keyed as the README says) or fix `sources[].topic`',
        retriable: true,
      },
    );
  }

  const toCreate: ITopicConfig[] = [];
  const sourcePartitions = new Map<string, number>();
  for (const s of config.sources) {
    const n = counts.get(s.topic)!;
    sourcePartitions.set(s.topic, n);
    for (const out of [s.outputs.clean, s.outputs.redacted, s.outputs.quarantine]) {
      const have = counts.get(out);
      if (have === undefined) {
        if (!config.topics.create) {
          throw new SluiceError(ErrorCodes.TOPIC_MISMATCH, `output topic ${out} does not exist`, {
            hint: `create it with ${n} partitions, or set topics.create: true`,
          });
        }
        toCreate.push({ topic: out, numPartitions: n, replicationFactor: config.topics.replicationFactor });
      } else if (have !== n) {
        throw new SluiceError(
          ErrorCodes.TOPIC_MISMATCH,
          `output topic ${out} has ${have} partitions but source ${s.topic} has ${n}`,
          {
            hint: 'outputs keep the source partition of each record, so partition counts must match; recreate the output topic',
          },
        );
      }
    }
  }
  let auditPartitions = counts.get(config.auditTopic);
  if (auditPartitions === undefined) {
    if (!config.topics.create) {
      throw new SluiceError(ErrorCodes.TOPIC_MISMATCH, `audit topic ${config.auditTopic} does not exist`, {
        hint: 'create it or set topics.create: true',
      });
    }
    auditPartitions = config.topics.auditPartitions;
    toCreate.push({
      topic: config.auditTopic,
      numPartitions: auditPartitions,
      replicationFactor: config.topics.replicationFactor,
    });
  }
  if (toCreate.length > 0) {
    const quarantineTopics = new Set(config.sources.map((s) => s.outputs.quarantine));
    for (const t of toCreate) {
      // Room for a carried record plus its envelope; the broker default (1 MB) may be smaller.
      t.configEntries = [
        {
          name: 'max.message.bytes',
          value: String(config.limits.maxRecordBytes + ENVELOPE_OVERHEAD_BYTES * 2),
        },
      ];
      // Retention of what security reviews (docs/security.md); clean and redacted keep the broker's.
      if (quarantineTopics.has(t.topic))
        t.configEntries.push({ name: 'retention.ms', value: String(config.topics.quarantineRetentionMs) });
      else if (t.topic === config.auditTopic)
        t.configEntries.push({ name: 'retention.ms', value: String(config.topics.auditRetentionMs) });
    }
    try {
      await admin.createTopics({ topics: toCreate, waitForLeaders: true });
    } catch (err) {
      // Another instance may have created them first; validation below catches real problems.
      logger.warn({ err: (err as Error).message }, 'creating output topics failed; validating what exists');
    }
    logger.info({ topics: toCreate.map((t) => t.topic) }, 'created output topics');
  }
  await checkMaxMessageBytes(admin, config);
  return { sourcePartitions, auditPartitions };
}

async function checkMaxMessageBytes(admin: Admin, config: SluiceConfig): Promise<void> {
  const names = config.sources.flatMap((s) => [s.outputs.clean, s.outputs.redacted, s.outputs.quarantine]);
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  const need = config.limits.maxRecordBytes + ENVELOPE_OVERHEAD_BYTES;
  for (const r of res.resources) {
    const v = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
    if (Number.isFinite(v) && v < need) {
      throw new SluiceError(
        ErrorCodes.TOPIC_MISMATCH,
        `output topic ${r.resourceName} has max.message.bytes=${v}, below limits.maxRecordBytes + envelope overhead (${need})`,
        { hint: `raise the topic's max.message.bytes to at least ${need} or lower limits.maxRecordBytes` },
      );
    }
  }
}
