import fc from 'fast-check';
import { filterAbortedMessages } from '../../src/kafka/kafkajs-aborted-filter';

// jest keeps its own module registry, so this is kafkajs' original, not the cached replacement.
const original = jest.requireActual(
  'kafkajs/src/consumer/filterAbortedMessages',
) as typeof filterAbortedMessages;

type Msg = Parameters<typeof filterAbortedMessages>[0]['messages'][number];
const rec = (offset: number, producerId: string, inTransaction = true): Msg => ({
  offset: String(offset),
  key: Buffer.from('k'),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, type: 'abort' | 'commit'): Msg => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const offsetsOf = (ms: Msg[]) => ms.filter((m) => !m.isControlRecord).map((m) => Number(m.offset));

describe('read_committed: aborted transactions', () => {
  // Two producers (two source partitions' transactional ids) write one audit partition; both
  // transactions were aborted (a broker freeze), and the fetch starts after both began.
  const messages = [
    rec(10, 'B'),
    rec(11, 'A'),
    rec(12, 'A'),
    rec(13, 'B'),
    marker(14, 'A', 'abort'),
    marker(15, 'B', 'abort'),
    rec(16, 'A'),
    marker(17, 'A', 'commit'),
  ];
  const aborted = [
    { producerId: 'A', firstOffset: '5' },
    { producerId: 'B', firstOffset: '6' },
  ];

  test('kafkajs 2.2.4 lets the first record of the second aborted transaction through', () => {
    expect(offsetsOf(original({ messages, abortedTransactions: aborted }))).toEqual([10, 16]);
  });

  test('the replacement drops every record of every aborted transaction, keeps the committed one', () => {
    expect(offsetsOf(filterAbortedMessages({ messages, abortedTransactions: aborted }))).toEqual([16]);
    // The broker's list order does not matter.
    expect(
      offsetsOf(filterAbortedMessages({ messages, abortedTransactions: [...aborted].reverse() })),
    ).toEqual([16]);
  });

  test('non-transactional records and records before an aborted transaction pass; a key of zeros is not a marker', () => {
    const ms = [
      rec(1, 'A'),
      rec(2, 'C', false),
      rec(3, 'A'),
      { ...rec(4, 'C', false), key: Buffer.from([0, 0, 0, 0]) },
      rec(5, 'A'),
    ];
    expect(
      offsetsOf(
        filterAbortedMessages({ messages: ms, abortedTransactions: [{ producerId: 'A', firstOffset: '3' }] }),
      ),
    ).toEqual([1, 2, 4]);
  });

  test('agrees with a per-record model of the broker log (property)', () => {
    // Random interleavings of transactions by 3 producers, each committed or aborted; the fetch
    // starts at a random offset. A record is visible iff its transaction was committed.
    const txn = fc.record({
      producer: fc.constantFrom('A', 'B', 'C'),
      records: fc.integer({ min: 1, max: 4 }),
      abort: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(txn, { minLength: 1, maxLength: 12 }), fc.nat(), (txns, cut) => {
        // Producers write one transaction at a time: serialise per producer, interleave across.
        const log: Msg[] = [];
        const visible: number[] = [];
        const abortedList: { producerId: string; firstOffset: string }[] = [];
        let offset = 0;
        for (const t of txns) {
          const first = offset;
          for (let i = 0; i < t.records; i++) {
            if (!t.abort) visible.push(offset);
            log.push(rec(offset++, t.producer));
          }
          log.push(marker(offset++, t.producer, t.abort ? 'abort' : 'commit'));
          if (t.abort) abortedList.push({ producerId: t.producer, firstOffset: String(first) });
        }
        const start = cut % log.length;
        const fetched = log.slice(start);
        const overlapping = abortedList.filter((a) => {
          const end = log.findIndex(
            (m, i) =>
              i >= Number(a.firstOffset) && m.isControlRecord && m.batchContext.producerId === a.producerId,
          );
          return end >= start;
        });
        expect(
          offsetsOf(filterAbortedMessages({ messages: fetched, abortedTransactions: overlapping })),
        ).toEqual(visible.filter((o) => o >= start));
      }),
      { numRuns: 500 },
    );
  });
});
