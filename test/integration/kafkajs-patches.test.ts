import { recordEncoderStats } from '../../services/scrubber/src/kafka/kafkajs-record-encoder';

// The broker tiers' kafkajs readers use the corrected read_committed filter (jest.config.cjs maps
// kafkajs' ./filterAbortedMessages): the invariant checks must not count a record of an aborted
// transaction as written. With kafkajs' own filter this batch would expose producer B's record.
type BatchCtor = new (topic: string, fetchedOffset: string, data: unknown) => { messages: unknown[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a kafkajs internal, untyped
const Batch = require('kafkajs/src/consumer/batch') as BatchCtor;

test('kafkajs batches filter every aborted transaction (two producers aborted before the fetch)', () => {
  const rec = (offset: string, producerId: string) => ({
    offset,
    key: Buffer.from('k'),
    batchContext: { producerId, inTransaction: true },
  });
  const batch = new Batch('audit', '10', {
    partition: 0,
    highWatermark: '20',
    messages: [rec('10', 'B'), rec('11', 'A')],
    abortedTransactions: [
      { producerId: 'A', firstOffset: '5' },
      { producerId: 'B', firstOffset: '6' },
    ],
  });
  expect(batch.messages).toEqual([]);
});

// The broker tiers' producers write records with the services' encoder (jest.config.cjs maps
// kafkajs' record and record-batch modules), so the broker's CRC and format checks see its bytes.
test("kafkajs' produce request encodes its records with the one-buffer encoder", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a kafkajs internal, untyped
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: unknown) => {
    encode(): Promise<{ buffer: Buffer }>;
  };
  const before = recordEncoderStats.fast;
  const req = produce({
    acks: -1,
    timeout: 1000,
    topicData: [
      {
        topic: 't',
        partitions: [{ partition: 0, firstSequence: 0, messages: [{ value: Buffer.from('v') }] }],
      },
    ],
  });
  expect((await req.encode()).buffer.length).toBeGreaterThan(0);
  expect(recordEncoderStats.fast).toBe(before + 1);
});

// The broker tiers' consumers run on the fetch-ahead fetcher (jest.config.cjs maps kafkajs'
// consumer/fetcher): kafkajs' own fetch manager fetches partition 1 again while partition 0's
// batch is still being processed (kafkajs' fetcher would wait for it).
test("kafkajs' fetch manager fetches a free partition while another's batch runs", async () => {
  type B = { topic: string; partition: number };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a kafkajs internal, untyped
  const createFetchManager = require('kafkajs/src/consumer/fetchManager') as (o: unknown) => {
    start(): Promise<void>;
    stop(): Promise<void>;
  };
  const paused = new Set<number>();
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  let fetches = 0;
  let fetchedWhileSlow = 0;
  let slowRunning = false;
  const noop = () => undefined;
  const logger: object = { info: noop, debug: noop, warn: noop, error: noop, namespace: () => logger };
  const manager = createFetchManager({
    logger,
    getNodeIds: () => [1],
    concurrency: 2,
    fetch: async (): Promise<B[]> => {
      await new Promise((r) => setTimeout(r, 5));
      fetches++;
      if (slowRunning) fetchedWhileSlow++;
      return [0, 1].filter((p) => !paused.has(p)).map((partition) => ({ topic: 't', partition }));
    },
    handler: async (b: B) => {
      paused.add(b.partition);
      try {
        if (b.partition === 0) {
          slowRunning = true;
          await slow;
          slowRunning = false;
        }
      } finally {
        paused.delete(b.partition);
      }
    },
  });
  const running = manager.start();
  const deadline = Date.now() + 5000;
  while (fetchedWhileSlow < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(fetchedWhileSlow).toBeGreaterThanOrEqual(3);
  release();
  await manager.stop();
  await running.catch(() => undefined);
  expect(fetches).toBeGreaterThan(3);
});
