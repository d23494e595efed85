import fc from 'fast-check';
import { isNextOffset, offsetAtLeast, offsetPlus } from '../../src/kafka/offsets';

const offset = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 16n }), fc.bigInt({ min: 0n, max: 2n ** 63n - 2n }));

describe('offset helpers', () => {
  test('agree with BigInt arithmetic on any int64 offsets', () => {
    fc.assert(
      fc.property(offset, offset, fc.nat({ max: 5000 }), (a, b, n) => {
        expect(isNextOffset(a.toString(), b.toString())).toBe(b === a + 1n);
        expect(isNextOffset(a.toString(), (a + 1n).toString())).toBe(true);
        expect(offsetAtLeast(a.toString(), b)).toBe(a >= b);
        if (a + BigInt(n) < 2n ** 63n) expect(offsetPlus(a.toString(), n)).toBe((a + BigInt(n)).toString());
      }),
      { numRuns: 2000 },
    );
  });

  test('exact at the 15/16-digit boundary', () => {
    const big = 999_999_999_999_999n;
    expect(isNextOffset(big.toString(), (big + 1n).toString())).toBe(true);
    expect(offsetPlus(big.toString(), 1)).toBe('1000000000000000');
    expect(offsetAtLeast('1000000000000000', big + 1n)).toBe(true);
    expect(offsetAtLeast('9007199254740993', 9007199254740993n)).toBe(true);
    expect(offsetAtLeast('9007199254740992', 9007199254740993n)).toBe(false);
  });
});
