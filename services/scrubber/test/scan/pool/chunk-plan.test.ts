import fc from 'fast-check';
import { planChunks, recordChars } from '../../../src/scan/pool/chunk-plan';
import type { RecordScanRequest } from '../../../src/scan/types';

const rec = (len: number): RecordScanRequest => ({
  source: 's',
  texts: [{ path: 'v', text: 'x'.repeat(len) }],
});

describe('planChunks', () => {
  it('covers every record exactly once, in order, within both bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(500), { maxLength: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 2000 }),
        (lens, workers, maxRecords, maxChars) => {
          const records = lens.map(rec);
          const chunks = planChunks(records, workers, maxRecords, maxChars);
          let next = 0;
          for (const c of chunks) {
            expect(c.start).toBe(next);
            expect(c.end).toBeGreaterThan(c.start);
            expect(c.end - c.start).toBeLessThanOrEqual(maxRecords);
            const chars = records.slice(c.start, c.end).reduce((n, r) => n + recordChars(r), 0);
            expect(c.chars).toBe(chars);
            // Only a lone oversized record may exceed the character bound.
            if (c.end - c.start > 1) expect(chars).toBeLessThanOrEqual(maxChars);
            next = c.end;
          }
          expect(next).toBe(records.length);
        },
      ),
    );
  });

  it('spreads a small batch over all workers', () => {
    const chunks = planChunks(
      Array.from({ length: 10 }, () => rec(10)),
      2,
      256,
      1e6,
    );
    expect(chunks.map((c) => c.end - c.start)).toEqual([5, 5]);
  });
});
