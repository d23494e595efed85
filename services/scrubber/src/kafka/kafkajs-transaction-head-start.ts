import type { Producer, Transaction } from 'kafkajs';
import { replaceKafkajsModule } from './kafkajs-module-replacement';

/**
 * A transaction's head start: the partitions it will write and its consumer group registered
 * with the transaction coordinator while the caller is still working on the batch.
 *
 * kafkajs 2.2.4 (its last release) registers a partition with the open transaction
 * (AddPartitionsToTxn) in the first send that writes to it, and the consumer group
 * (AddOffsetsToTxn) in `sendOffsets`: each is a round trip in series with the produce requests.
 * A scrubber batch made seven in a row after its scan (add + produce for the outputs, add +
 * produce for the audit, add offsets + TxnOffsetCommit, EndTxn), and the first of them often met
 * CONCURRENT_TRANSACTIONS while the broker was still writing the previous commit's markers, then
 * waited out a retry back-off (README "Benchmarks", latency).
 *
 * `headStart` sends both registrations at the start of the transaction, for the partitions the
 * caller expects to write (the scrubber passes the ones its previous transaction on that input
 * partition wrote), so they run while the batch is scanned. kafkajs then skips every partition
 * already registered when it sends; a later `sendOffsets` repeats AddOffsetsToTxn, which the
 * coordinator answers at once for a group already in the transaction (no log write). A
 * registered partition that ends up not written only gets the transaction's end marker.
 *
 * It reaches kafkajs' per-producer transaction manager (not part of its API) by putting a
 * wrapper of `producer/eosManager` into kafkajs' module cache, like the other mends; this module
 * must load before `kafkajs`.
 */

interface TopicPartitions {
  topic: string;
  partitions: Array<{ partition: number }>;
}

/** The parts of kafkajs' transactional EosManager (producer/eosManager) used here. */
interface EosManager {
  isInTransaction(): boolean;
  getProducerId(): unknown;
  getProducerEpoch(): number;
  getTransactionalId(): string;
  addPartitionsToTransaction(topicData: TopicPartitions[]): Promise<void>;
}
interface CoordinatorBroker {
  addOffsetsToTxn(args: {
    transactionalId: string;
    producerId: unknown;
    producerEpoch: number;
    groupId: string;
  }): Promise<unknown>;
}
interface Cluster {
  findGroupCoordinator(args: { groupId: string; coordinatorType: number }): Promise<CoordinatorBroker>;
}
interface EosOptions {
  cluster: Cluster;
  transactional: boolean;
  transactionalId?: string;
}
type CreateEosManager = (opts: EosOptions) => EosManager;
type Retrier = <T>(fn: () => Promise<T>) => Promise<T>;

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs internals, untyped CommonJS */
const originalCreate = require('kafkajs/src/producer/eosManager') as CreateEosManager;
const COORDINATOR_TYPES = require('kafkajs/src/protocol/coordinatorTypes') as { TRANSACTION: number };
const createRetry = require('kafkajs/src/retry') as (opts: object) => Retrier;
/* eslint-enable @typescript-eslint/no-require-imports */

interface Managed {
  eos: EosManager;
  cluster: Cluster;
}

/** Set by the wrapper when kafkajs creates a transactional manager; taken by beginTransaction. */
let created: Managed | null = null;
const managerOf = new WeakMap<Producer, Managed>();

/** kafkajs' createEosManager, remembering each transactional manager it creates. */
export function createTrackedEosManager(opts: EosOptions): EosManager {
  const eos = originalCreate(opts);
  if (opts.transactional) created = { eos, cluster: opts.cluster };
  return eos;
}

let installed = false;

/** True when kafkajs' producers get the wrapped manager (false if kafkajs was loaded first). */
export function installTransactionHeadStart(): boolean {
  if (installed) return true;
  installed = replaceKafkajsModule(
    'kafkajs/src/producer/eosManager',
    'kafkajs/src/producer/index',
    createTrackedEosManager,
  );
  return installed;
}

/**
 * `producer.transaction()`, remembering the producer's transaction manager. kafkajs creates it
 * synchronously inside the first call (before that call's first await), so it is the one the
 * wrapper saw during the call; one manager per producer, kept for its later transactions.
 */
export async function beginTransaction(producer: Producer): Promise<Transaction> {
  created = null;
  const pending = producer.transaction();
  const got = created as Managed | null;
  created = null;
  if (got) managerOf.set(producer, got);
  return pending;
}

export interface HeadStartRequest {
  /** Partitions the transaction is expected to write. */
  partitions: ReadonlyArray<{ topic: string; partition: number }>;
  /** Consumer group whose offsets the transaction will commit; null: none. */
  groupId: string | null;
  /** kafkajs retry options for CONCURRENT_TRANSACTIONS and other retriable errors. */
  retry: object;
}

/** What a head start registered: partitions (`topic:partition`) and whether the group. */
export interface HeadStart {
  partitions: ReadonlySet<string>;
  group: boolean;
}

/**
 * Registers `req.partitions` and then `req.groupId` with the open transaction of `producer`
 * (begun with beginTransaction). Null when there are no partitions or the producer's manager is
 * unknown (kafkajs was loaded before this module, or the producer was begun another way): the
 * transaction then registers as kafkajs does. The two requests go one after the other: the
 * coordinator answers CONCURRENT_TRANSACTIONS to a registration while another is being written.
 * The caller must let the promise settle before it sends, commits or aborts in the transaction.
 */
export async function headStart(producer: Producer, req: HeadStartRequest): Promise<HeadStart | null> {
  const m = managerOf.get(producer);
  if (!m || !m.eos.isInTransaction()) return null;
  const byTopic = new Map<string, Array<{ partition: number }>>();
  const keys = new Set<string>();
  for (const { topic, partition } of req.partitions) {
    const key = `${topic}:${partition}`;
    if (keys.has(key)) continue;
    keys.add(key);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ partition });
  }
  // A group alone is not registered: kafkajs counts a transaction as begun on the broker only
  // by its partitions (or its own sendOffsets), and would skip the EndTxn of one that had only
  // the group, leaving it open until the transaction timeout.
  if (keys.size === 0) return null;
  const retrier = createRetry(req.retry);
  const topicData = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  // kafkajs marks the partitions registered once the coordinator has said so.
  await retrier(() => m.eos.addPartitionsToTransaction(topicData));
  const groupId = req.groupId;
  if (groupId !== null) {
    const transactionalId = m.eos.getTransactionalId();
    await retrier(async () => {
      const coordinator = await m.cluster.findGroupCoordinator({
        groupId: transactionalId,
        coordinatorType: COORDINATOR_TYPES.TRANSACTION,
      });
      await coordinator.addOffsetsToTxn({
        transactionalId,
        producerId: m.eos.getProducerId(),
        producerEpoch: m.eos.getProducerEpoch(),
        groupId,
      });
    });
  }
  return { partitions: keys, group: groupId !== null };
}

installTransactionHeadStart();
