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
