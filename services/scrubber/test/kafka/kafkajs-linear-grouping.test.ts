import fc from 'fast-check';
import { groupMessagesPerPartition } from '../../src/kafka/kafkajs-linear-grouping';

// jest keeps its own module registry, so this is kafkajs' original, not the cached replacement.
const original = jest.requireActual(
  'kafkajs/src/producer/groupMessagesPerPartition',
) as typeof groupMessagesPerPartition;

describe('linear per-partition grouping', () => {
  test('groups exactly like kafkajs, keeping message order per partition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 7 }), { maxLength: 300 }),
        fc.integer({ min: 0, max: 8 }),
        (parts, n) => {
          const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i }));
          const messages = parts.map((p, i) => ({ p, i }));
          const partitioner = ({ message }: { message: unknown }) =>
            (message as { p: number }).p % Math.max(1, n);
          const args = { topic: 't', partitionMetadata, messages, partitioner };
          expect(groupMessagesPerPartition(args)).toEqual(original(args));
        },
      ),
    );
  });
});
