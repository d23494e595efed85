// Producer and transaction faults, shared by producer-faults.test.ts and the soak run.
import type { Admin } from 'kafkajs';
import { PartitionProducers } from '../../../services/scrubber/src/kafka/partition-producers';
import { waitFor, type Cleanup } from '../kafka';
import type { PipelineFixture } from '../pipeline-fixture';
import type { ScrubberFleet } from './chaos';
import { setTopicConfig } from './topic-config';

const FAILED = /^batch failed/;

export async function partitionCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<number> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number(res[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
}

/** The partition of `topic` with the most records not yet committed by the group (where commits will still come). */
export async function laggiestPartition(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [committed, high] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  let best = 0;
  let bestLag = -1;
  for (const h of high) {
    const c = Math.max(
      0,
      Number(committed[0]?.partitions.find((p) => p.partition === h.partition)?.offset ?? 0),
    );
    const lag = Number(h.high) - c;
    if (lag > bestLag) [best, bestLag] = [h.partition, lag];
  }
  return best;
}

/**
 * An intruder initialises the partition's transactional id (fencing the scrubber's producer),
 * leaves a transaction open with a zombie record in the clean topic, waits until the scrubber
 * committed on that partition again (so it hit the fence, re-initialised and fenced the
 * intruder back), then tries to commit. Returns how that commit ended: 'rejected (...)' is right.
 */
export async function intrude(
  fx: PipelineFixture,
  cleanup: Cleanup,
  admin: Admin,
  topic: string,
  partition: number,
  /**
   * Produces more input to the partition once it is fenced. Without it the scrubber may already
   * have committed everything there (a fast run), and would never commit on it again.
   */
  moreWork?: () => Promise<unknown>,
): Promise<string> {
  const groupId = `sluice-${fx.id}`;
  // The scrubber, fenced by our InitProducerId, re-initialises at once and may fence us back
  // before our send lands (a race on a loaded machine): then start again with a new intruder.
  for (let attempt = 1; ; attempt++) {
    const intruder = fx.kafka.producer({
      transactionalId: PartitionProducers.transactionalId(`sluice-${fx.id}`, topic, partition),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 5000,
    });
    await cleanup.connect(intruder, 'intruder producer');
    try {
      // InitProducerId bumps the epoch: the scrubber's producer for this partition is now a zombie.
      const txn = await intruder.transaction();
      try {
        await txn.send({
          topic: fx.topics.outputs.clean[0]!,
          messages: [
            {
              partition: partition % fx.partitions,
              key: 'zombie',
              value: 'ZOMBIE-RECORD',
              headers: { 'sluice-source': 'zombie/0/0' },
            },
          ],
        });
      } catch (err) {
        if (attempt < 5 && /epoch|fenced/i.test((err as Error).message)) continue;
        throw err;
      }
      // Any commit of the scrubber on this partition from now on needs a new InitProducerId (its
      // producer is fenced), and that aborts our open transaction.
      const fencedAt = await partitionCommitted(admin, groupId, topic, partition);
      await moreWork?.();
      await waitFor(async () => (await partitionCommitted(admin, groupId, topic, partition)) > fencedAt, {
        what: `the scrubber to commit on ${topic}/${partition} again`,
        deadlineMs: 90_000,
      });
      return await txn.commit().then(
        () => 'committed',
        (e: Error) => `rejected (${e.name})`,
      );
    } finally {
      await intruder.disconnect();
    }
  }
}

/**
 * Below any batch of Sluice output records (headers alone are ~150 bytes), above a transaction
 * control batch (~80 bytes). Lower would also refuse the coordinator's commit/abort markers:
 * Kafka 4.1.1 treats RecordTooLargeException on a marker as fatal (IllegalStateException in
 * TransactionMarkerRequestCompletionHandler), and every transaction that touched the topic then
 * stays in PrepareAbort (CONCURRENT_TRANSACTIONS forever, even after the config is restored).
 */
const UNWRITABLE_MAX_MESSAGE_BYTES = '150';

/**
 * Makes topics unwritable (max.message.bytes below any record batch: MESSAGE_TOO_LARGE) until
 * `failures` batches failed on it, then restores the old value. Returns the batches that failed.
 */
export async function unwritableUntilFailures(
  admin: Admin,
  fleet: ScrubberFleet,
  topics: string[],
  failures = 2,
): Promise<number> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2 /* TOPIC */, name: topics[0]!, configNames: ['max.message.bytes'] }],
  });
  const original = described.resources[0]!.configEntries[0]!.configValue;
  const before = fleet.count(FAILED);
  await setTopicConfig(admin, topics, 'max.message.bytes', UNWRITABLE_MAX_MESSAGE_BYTES);
  try {
    await waitFor(() => fleet.count(FAILED) >= before + failures, {
      what: `${failures} batches to fail on unwritable ${topics.join(', ')}`,
      deadlineMs: 120_000,
    });
  } finally {
    await setTopicConfig(admin, topics, 'max.message.bytes', original);
  }
  return fleet.count(FAILED) - before;
}
