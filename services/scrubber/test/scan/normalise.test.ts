import fc from 'fast-check';
import { normalise, toOriginalSpan } from '../../src/scan/normalise';

const pieces = [
  'a',
  'Z',
  '0',
  ' ',
  '_',
  'é',
  'e\u0301',
  '\u200b',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u202e',
  '\u2066',
  '\u200e',
  'ｇ',
  'Ｈ',
  '＿',
  '１',
  '😀',
  '👍🏽',
  '\u0301',
  '\ufb01',
  '\u2460',
  '中',
  '\ud800',
  'ß',
  'ﾊﾞ',
];
const arbText = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((a) => a.join(''));

describe('normalise', () => {
  it('returns pure ASCII as-is with identity maps', () => {
    const t = 'plain ascii ghp_x';
    const n = normalise(t);
    expect(n.text).toBe(t);
    expect(n.starts).toBeNull();
  });

  it('folds fullwidth, drops zero-width and bidi controls', () => {
    expect(normalise('ｇｈｐ＿ab').text).toBe('ghp_ab');
    expect(normalise('g\u200bh\u200dp\u2060_\ufeffa\u00adb\u202e\u2066c\u200e').text).toBe('ghp_abc');
    expect(normalise('cafe\u0301').text).toBe('café');
  });

  it('maps every normalised unit back to the original span it came from (property)', () => {
    fc.assert(
      fc.property(arbText, (t) => {
        const n = normalise(t);
        if (n.starts === null || n.ends === null) {
          expect(n.text).toBe(t);
          return;
        }
        expect(n.starts.length).toBe(n.text.length);
        let prev = 0;
        for (let i = 0; i < n.text.length; i++) {
          const s = n.starts[i]!;
          const e = n.ends[i]!;
          expect(s).toBeGreaterThanOrEqual(prev);
          expect(e).toBeGreaterThan(s);
          expect(e).toBeLessThanOrEqual(t.length);
          prev = s;
          // The original segment, normalised on its own, produced this unit.
          expect(t.slice(s, e).normalize('NFKC')).toContain(n.text[i]);
        }
        // Whole-string spans round-trip.
        if (n.text.length > 0) {
          const [s, e] = toOriginalSpan(n, 0, n.text.length);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(e).toBeLessThanOrEqual(t.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('maps a token found after emoji and fullwidth chars to its original span', () => {
    const t = '😀👍🏽 ｔｏｋｅｎ: ｇｈｐ＿abc';
    const n = normalise(t);
    const at = n.text.indexOf('ghp_abc');
    const [s, e] = toOriginalSpan(n, at, at + 7);
    expect(t.slice(s, e)).toBe('ｇｈｐ＿abc');
  });
});
