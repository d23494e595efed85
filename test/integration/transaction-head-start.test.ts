// kafkajs-transaction-head-start against the real broker: partitions and the group registered
// at the start of a transaction are the transaction's (its commit covers them, its abort too),
// kafkajs sends no second AddPartitionsToTxn for them, and a registered partition that is not
// written gets only the end marker.
import { Partitioners } from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import {
  beginTransaction,
  headStart,
} from '../../services/scrubber/src/kafka/kafkajs-transaction-head-start';
import { PRODUCER_RETRY } from '../../services/scrubber/src/kafka/partition-producers';
import { consumeAll, createTopics, kafkaClient, uniqueName, useCleanup } from '../support/kafka';

jest.setTimeout(90000);

const cleanup = useCleanup();

async function setup(kafka: Kafka) {
  const admin = await cleanup.connect(kafka.admin(), 'admin');
  const input = uniqueName('test-hs-input');
  const out = uniqueName('test-hs-out');
  const spare = uniqueName('test-hs-spare');
  await createTopics(
    admin,
    [
      { topic: input, partitions: 1 },
      { topic: out, partitions: 2 },
      { topic: spare, partitions: 1 },
    ],
    cleanup,
  );
  const producer = await cleanup.connect(
    kafka.producer({
      transactionalId: uniqueName('test-hs-txn'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { ...PRODUCER_RETRY },
    }),
    'transactional producer',
  );
  // Which requests the producer sent, in order (kafkajs' request instrumentation).
  const requests: string[] = [];
  producer.on(producer.events.REQUEST, (e) => requests.push(e.payload.apiName));
  return { admin, input, out, spare, producer, requests };
}

async function groupOffset(kafka: Kafka, groupId: string, topic: string): Promise<string | undefined> {
  const admin = await cleanup.connect(kafka.admin(), 'admin (offsets)');
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions.find((p) => p.partition === 0)?.offset;
}

function count(requests: string[], api: string): number {
  return requests.filter((r) => r === api).length;
}

async function highWatermark(kafka: Kafka, topic: string, partition: number): Promise<string> {
  const admin = await cleanup.connect(kafka.admin(), 'admin (watermarks)');
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.find((o) => o.partition === partition)!.high;
}

describe('transaction head start', () => {
  test('registered partitions and group are the transaction’s; kafkajs does not register them again', async () => {
    const kafka = kafkaClient('head-start-commit');
    const { input, out, spare, producer, requests } = await setup(kafka);
    const groupId = uniqueName('test-hs-group');
    const txn = await beginTransaction(producer);
    const got = await headStart(producer, {
      partitions: [
        { topic: out, partition: 0 },
        { topic: out, partition: 1 },
        { topic: out, partition: 0 },
        { topic: spare, partition: 0 },
      ],
      groupId,
      retry: PRODUCER_RETRY,
    });
    expect(got).not.toBeNull();
    expect([...got!.partitions].sort()).toEqual([`${out}:0`, `${out}:1`, `${spare}:0`].sort());
    expect(got!.group).toBe(true);
    expect(count(requests, 'AddPartitionsToTxn')).toBe(1);
    expect(count(requests, 'AddOffsetsToTxn')).toBe(1);

    await txn.sendBatch({
      topicMessages: [
        {
          topic: out,
          messages: [
            { partition: 0, key: 'a', value: 'committed a' },
            { partition: 1, key: 'b', value: 'committed b' },
          ],
        },
      ],
    });
    // Both partitions were registered: the produce went out without another registration.
    expect(count(requests, 'AddPartitionsToTxn')).toBe(1);
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }],
    });
    await txn.commit();
    expect(count(requests, 'EndTxn')).toBe(1);

    const read = await consumeAll(kafka, { topics: [out], readCommitted: true, expectedCount: 2 });
    expect(read.map((m) => m.value?.toString()).sort()).toEqual(['committed a', 'committed b']);
    expect(await groupOffset(kafka, groupId, input)).toBe('7');
    // The registered partition nobody wrote holds the commit marker and nothing else.
    expect(await highWatermark(kafka, spare, 0)).toBe('1');
    expect(await consumeAll(kafka, { topics: [spare], readCommitted: true, idleMs: 1500 })).toEqual([]);

    // The producer's next transaction begins normally after the marker writes.
    const second = await beginTransaction(producer);
    const again = await headStart(producer, {
      partitions: [{ topic: out, partition: 0 }],
      groupId: null,
      retry: PRODUCER_RETRY,
    });
    expect(again?.group).toBe(false);
    await second.send({ topic: out, messages: [{ partition: 0, key: 'c', value: 'committed c' }] });
    await second.commit();
    const all = await consumeAll(kafka, { topics: [out], readCommitted: true, expectedCount: 3 });
    expect(all.map((m) => m.value?.toString()).sort()).toEqual(['committed a', 'committed b', 'committed c']);
  });

  test('an aborted transaction with a head start ends on the broker: no offset, no records, a marker', async () => {
    const kafka = kafkaClient('head-start-abort');
    const { input, out, producer, requests } = await setup(kafka);
    const groupId = uniqueName('test-hs-group');
    const txn = await beginTransaction(producer);
    await headStart(producer, { partitions: [{ topic: out, partition: 1 }], groupId, retry: PRODUCER_RETRY });
    await txn.send({ topic: out, messages: [{ partition: 1, key: 'x', value: 'aborted x' }] });
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }],
    });
    await txn.abort();
    expect(count(requests, 'EndTxn')).toBe(1);

    // Nothing sent at all after the head start: kafkajs must still end it on the broker, or the
    // next transaction would carry it on (the group registration included).
    const empty = await beginTransaction(producer);
    await headStart(producer, { partitions: [{ topic: out, partition: 0 }], groupId, retry: PRODUCER_RETRY });
    await empty.abort();
    expect(count(requests, 'EndTxn')).toBe(2);

    const next = await beginTransaction(producer);
    await next.send({ topic: out, messages: [{ partition: 0, key: 'y', value: 'committed y' }] });
    await next.commit();
    const read = await consumeAll(kafka, { topics: [out], readCommitted: true, expectedCount: 1 });
    expect(read.map((m) => m.value?.toString())).toEqual(['committed y']);
    expect(await groupOffset(kafka, groupId, input)).toBe('-1');
    // Partition 0: the aborted empty transaction's marker, the record, its commit marker.
    expect(await highWatermark(kafka, out, 0)).toBe('3');
  });

  test('no head start without partitions, outside a transaction, or for a producer begun without beginTransaction', async () => {
    const kafka = kafkaClient('head-start-none');
    const { out, producer, requests } = await setup(kafka);
    const req = { partitions: [{ topic: out, partition: 0 }], groupId: null, retry: PRODUCER_RETRY };
    expect(await headStart(producer, req)).toBeNull(); // never begun: manager unknown
    const txn = await beginTransaction(producer);
    expect(await headStart(producer, { ...req, partitions: [], groupId: 'g' })).toBeNull();
    await txn.abort(); // nothing registered: kafkajs sends no EndTxn
    expect(await headStart(producer, req)).toBeNull(); // manager known, no transaction open
    expect(count(requests, 'AddPartitionsToTxn') + count(requests, 'EndTxn')).toBe(0);

    const other: Producer = await cleanup.connect(
      kafka.producer({
        transactionalId: uniqueName('test-hs-plain'),
        idempotent: true,
        maxInFlightRequests: 1,
      }),
      'plain transactional producer',
    );
    const plain = await other.transaction();
    expect(await headStart(other, req)).toBeNull();
    await plain.abort();
  });
});
