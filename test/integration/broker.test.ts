// The test broker itself: the transactional guarantees Sluice relies on (DESIGN.md
// "Exactly once") hold on whatever broker the jest setup chose, and a local broker keeps
// topics, records, transactions and group offsets across a restart (broker-bounce tests
// depend on that).
import { Partitioners, logLevel } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { localBroker } from '../support/local-broker';
import {
  consumeAll,
  createTopics,
  kafkaClient,
  produce,
  testBroker,
  uniqueName,
  useCleanup,
  waitFor,
} from '../support/kafka';
import type { Cleanup } from '../support/kafka';

jest.setTimeout(90000);

const cleanup = useCleanup();

async function transactionalProducer(kafka: Kafka, c: Cleanup) {
  return c.connect(
    kafka.producer({
      transactionalId: uniqueName('test-txn'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
    'transactional producer',
  );
}

async function groupOffset(kafka: Kafka, groupId: string, topic: string, partition: number): Promise<string> {
  const admin = await cleanup.connect(kafka.admin(), 'admin (offsets)');
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const p = entry?.partitions.find((x) => x.partition === partition);
  if (!p) throw new Error(`no offset entry for ${topic}/${partition}`);
  return p.offset;
}

describe('test broker', () => {
  test('setup published the broker to this worker', () => {
    const info = testBroker();
    expect(['external', 'testcontainers', 'local']).toContain(info.kind);
    expect(info.brokers.length).toBeGreaterThan(0);
    expect(process.env.KAFKA_BROKERS).toBe(info.brokers.join(','));
    if (info.kind === 'local') expect(info.dir).toBeTruthy();
  });

  test('read_committed sees committed transactions only; sendOffsets moves the group offset', async () => {
    const kafka = kafkaClient('broker-test');
    const admin = await cleanup.connect(kafka.admin(), 'admin');
    const input = uniqueName('test-input');
    const output = uniqueName('test-output');
    await createTopics(
      admin,
      [
        { topic: input, partitions: 1 },
        { topic: output, partitions: 3 },
      ],
      cleanup,
    );
    const groupId = uniqueName('test-group');

    await produce(
      kafka,
      input,
      [0, 1, 2, 3, 4, 5].map((i) => ({ key: `in-${i}`, value: `input ${i}` })),
    );
    const producer = await transactionalProducer(kafka, cleanup);

    // Committed: six records over three partitions, plus the input offset 3.
    const committed = await producer.transaction();
    await committed.send({
      topic: output,
      messages: [0, 1, 2, 3, 4, 5].map((i) => ({
        key: `key-${i}`,
        value: `committed ${i}`,
        headers: { n: String(i) },
      })),
    });
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }],
    });
    await committed.commit();

    // Aborted: records reach the log (read_uncommitted sees them) and its offset never lands.
    const aborted = await producer.transaction();
    await aborted.send({
      topic: output,
      messages: [0, 1, 2].map((i) => ({ key: `key-${i}`, value: `aborted ${i}` })),
    });
    await aborted.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '6' }] }],
    });
    await aborted.abort();

    const readCommitted = await consumeAll(kafka, {
      topics: [output],
      readCommitted: true,
      expectedCount: 6,
    });
    expect(readCommitted.map((m) => m.value?.toString()).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `committed ${i}`),
    );
    expect(new Set(readCommitted.map((m) => m.partition)).size).toBeGreaterThan(1);
    for (const m of readCommitted) {
      expect(m.headers.n?.toString()).toBe(m.key?.toString().replace('key-', ''));
      expect(m.topic).toBe(output);
    }

    const readUncommitted = await consumeAll(kafka, {
      topics: [output],
      readCommitted: false,
      expectedCount: 9,
    });
    expect(readUncommitted.filter((m) => m.value?.toString().startsWith('aborted'))).toHaveLength(3);

    expect(await groupOffset(kafka, groupId, input, 0)).toBe('3');
  });

  const info = testBroker();
  const bounceable = info.kind === 'local' && info.owned && info.dir !== null;
  const skipReason = bounceable
    ? ''
    : `broker kind ${info.kind}${info.kind === 'local' ? ' not owned by this run (reused kafka:start broker)' : ''}; restart needs a local broker this run started`;
  if (!bounceable) process.stderr.write(`broker.test: skipping the restart test: ${skipReason}\n`);
  const bounceTest = bounceable ? test : test.skip;

  bounceTest(
    'restart (graceful and SIGKILL) keeps topics, records, transactions and group offsets',
    async () => {
      const dir = info.dir as string;
      const topic = uniqueName('test-durable');
      const groupId = uniqueName('test-group');
      {
        const kafka = kafkaClient('broker-test-before');
        const admin = kafka.admin();
        await admin.connect();
        try {
          await createTopics(admin, [{ topic, partitions: 3 }]);
        } finally {
          await admin.disconnect();
        }
        await produce(
          kafka,
          topic,
          [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `plain ${i}` })),
        );
        const producer = kafka.producer({
          transactionalId: uniqueName('test-txn'),
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await producer.connect();
        try {
          const txn = await producer.transaction();
          await txn.send({ topic, messages: [{ key: 'k9', value: 'transactional' }] });
          await txn.sendOffsets({
            consumerGroupId: groupId,
            topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }],
          });
          await txn.commit();
        } finally {
          await producer.disconnect();
        }
      }
      const before = localBroker.readState(dir);

      const graceful = await localBroker.restart(dir);
      expect(graceful.brokers).toBe(before?.brokers);
      expect(graceful.pid).not.toBe(before?.pid);
      const hard = await localBroker.restart(dir, { hard: true });
      expect(hard.brokers).toBe(before?.brokers);

      const kafka = kafkaClient('broker-test-after');
      const admin = await cleanup.connect(kafka.admin(), 'admin (after restart)');
      cleanup.defer(`delete ${topic}`, () => admin.deleteTopics({ topics: [topic] }));
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(3);
      const all = await consumeAll(kafka, { topics: [topic], readCommitted: true, expectedCount: 5 });
      expect(all.map((m) => m.value?.toString()).sort()).toEqual([
        'plain 0',
        'plain 1',
        'plain 2',
        'plain 3',
        'transactional',
      ]);
      expect(
        await waitFor(() => groupOffset(kafka, groupId, topic, 0).then((o) => o === '1'), {
          what: 'group offset 1 after restart',
        }),
      ).toBe(true);
    },
  );

  const saslTest = info.kind === 'local' ? test : test.skip;
  saslTest('--sasl broker: SCRAM users authenticate, ACLs deny by default', async () => {
    const dir = `${localBroker.DEFAULT_DIR}-sasl-${process.pid}`;
    const state = await localBroker.start({ dir, sasl: true, fresh: true, reuse: false });
    cleanup.defer('stop the SASL broker', async () => {
      await localBroker.stop(dir, { quiet: true });
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    });
    expect(Object.keys(state.sasl?.users ?? {}).sort()).toEqual([...localBroker.SASL_USERS].sort());
    const asUser = (user: string) =>
      kafkaClient(`sasl-${user}`, { ...localBroker.clientConfig(state, user), retry: { retries: 1 } });

    const topic = uniqueName('test-acl');
    const admin = await cleanup.connect(asUser('admin').admin(), 'SASL admin');
    await createTopics(admin, [{ topic, partitions: 1 }]);
    await produce(asUser('admin'), topic, [{ value: 'for admins only' }]);

    // The failures below are the expected outcome: keep kafkajs from logging them.
    const quiet = { logLevel: logLevel.NOTHING };
    const trainer = kafkaClient('sasl-trainer', {
      ...localBroker.clientConfig(state, 'trainer'),
      ...quiet,
      retry: { retries: 1 },
    }).consumer({ groupId: uniqueName('test-trainer') });
    await cleanup.connect(trainer, 'trainer consumer');
    await expect(
      (async () => {
        await trainer.subscribe({ topics: [topic], fromBeginning: true });
        await trainer.run({ eachMessage: async () => undefined });
      })(),
    ).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });

    const wrong = kafkaClient('sasl-wrong', {
      brokers: [state.brokers],
      sasl: { mechanism: 'scram-sha-256', username: 'trainer', password: 'not-the-password' },
      retry: { retries: 0 },
      ...quiet,
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/authentication failed/i);
  });
});
