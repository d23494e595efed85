import fc from 'fast-check';
import type { AnalysedRecord } from '../../src/route/batch-processor';
import { releasableLength, settleOldest, type QueuedRecord } from '../../src/rebuild/head-of-line';

/** The bound as it was written first: a full rescan of the head after each settled record. */
function settleOldestNaive(queue: QueuedRecord[], max: number): void {
  for (let i = 0; queue.length - releasableLength(queue) > max && i < queue.length; i++)
    queue[i]!.settled = true;
}

const queueArb = fc
  .array(fc.record({ settled: fc.boolean(), spanAhead: fc.option(fc.integer({ min: 0, max: 6 })) }), {
    maxLength: 40,
  })
  .map((entries) =>
    entries.map((e, i): QueuedRecord => {
      const offset = BigInt(10 + i);
      const q: QueuedRecord = { a: null as unknown as AnalysedRecord, offset, settled: e.settled };
      if (e.spanAhead !== null) q.span = { lastOffset: offset + BigInt(e.spanAhead) };
      return q;
    }),
  );

describe('settleOldest', () => {
  test('property: settles exactly what the rescanning loop settles', () => {
    fc.assert(
      fc.property(queueArb, fc.integer({ min: 0, max: 45 }), (queue, max) => {
        const copy = queue.map((e) => ({ ...e }));
        settleOldest(queue, max);
        settleOldestNaive(copy, max);
        expect(queue.map((e) => e.settled)).toEqual(copy.map((e) => e.settled));
        // The bound holds unless spans reach past the queue's end.
        if (queue.every((e) => !e.span || e.span.lastOffset <= queue.at(-1)!.offset))
          expect(queue.length - releasableLength(queue)).toBeLessThanOrEqual(max);
      }),
      { numRuns: 500 },
    );
  });

  test('a queue of 20,000 held records is bounded in one pass', () => {
    const queue: QueuedRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
      a: null as unknown as AnalysedRecord,
      offset: BigInt(i),
      settled: false,
    }));
    settleOldest(queue, 10_000);
    expect(releasableLength(queue)).toBe(10_000);
    expect(queue[9_999]!.settled).toBe(true);
    expect(queue[10_000]!.settled).toBe(false);
  });
});
