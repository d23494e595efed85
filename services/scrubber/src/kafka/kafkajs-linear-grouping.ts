import { replaceKafkajsModule } from './kafkajs-module-replacement';

/**
 * kafkajs groups the messages of a send per partition with a reduce that copies the partition's
 * array for every message: quadratic in the messages per partition, ~11% of the scrubber's main
 * thread on 2,000-record chunks (bench profile, README "Benchmarks"). kafkajs 2.2.4 is the last
 * release, so instead of waiting for a fix we put an equivalent linear grouping into the module
 * cache before kafkajs' sendMessages.js requires it. This module must load before `kafkajs`.
 */
type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

export function groupMessagesPerPartition(args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  const { topic, partitionMetadata, messages, partitioner } = args;
  const out: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (out[partition] ??= []).push(message);
  }
  return out;
}

let installed = false;

/** True when our grouping is the one kafkajs uses (false if kafkajs was loaded first). */
export function installLinearGrouping(): boolean {
  if (installed) return true;
  installed = replaceKafkajsModule(
    'kafkajs/src/producer/groupMessagesPerPartition',
    'kafkajs/src/producer/sendMessages',
    groupMessagesPerPartition,
  );
  return installed;
}

installLinearGrouping();
