import fc from 'fast-check';
import { ScanEngine } from '../../src/scan/engine';
import { DigitRun } from '../../src/scan/prefilter/digit-run';
import { luhn } from '../../src/scan/validators/checksums';
import { KEY } from './support/engine';

function luhnComplete(body: string): string {
  for (let c = 0; c < 10; c++) if (luhn(body + c)) return body + c;
  return body + '0';
}

describe('DigitRun', () => {
  it('counts digits of a run, ignoring separators', () => {
    const r = new DigitRun();
    r.load('x 2023-12-24T11', 2, 12);
    expect(r.count).toBe(8);
  });

  it('luhnPossible agrees with brute force over every stretch (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,30}$/), fc.integer({ min: 1, max: 19 }), (digits, minLen) => {
        const r = new DigitRun();
        r.load(digits, 0, digits.length);
        let expected = false;
        for (let i = 0; i < digits.length && !expected; i++) {
          for (let len = minLen; len <= 19 && i + len <= digits.length; len++)
            if (luhn(digits.slice(i, i + len))) expected = true;
        }
        expect(r.luhnPossible(minLen)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('luhnPossible stays right when asked again, for other lengths and after another run is loaded (memo)', () => {
    const brute = (digits: string, minLen: number): boolean => {
      for (let i = 0; i < digits.length; i++)
        for (let len = Math.max(2, minLen); len <= 19 && i + len <= digits.length; len++)
          if (luhn(digits.slice(i, i + len))) return true;
      return false;
    };
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[0-9]{0,25}$/), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: -1, max: 21 }), { minLength: 1, maxLength: 6 }),
        (runs, lens) => {
          const r = new DigitRun();
          for (const digits of runs) {
            r.reset(); // as the engine does per text: the next text reuses offsets
            r.load(digits, 0, digits.length);
            for (const minLen of [...lens, ...lens])
              expect(r.luhnPossible(minLen)).toBe(brute(digits, minLen));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('answers "possible" for runs longer than it checks', () => {
    const r = new DigitRun();
    const long = '1'.repeat(100);
    r.load(long, 0, long.length);
    expect(r.overflow).toBe(true);
    expect(r.luhnPossible(15)).toBe(true);
  });
});

describe('digit-run pre-checks in the engine', () => {
  // The whole built-in ruleset: minDigits / runContains / Luhn pre-checks are on pii.yaml rules too.
  const on = ScanEngine.create({ fingerprintKey: KEY });
  const off = ScanEngine.create({ fingerprintKey: KEY, digitPrechecks: false });
  const key = (t: string, e: ScanEngine): string[] =>
    e
      .scanTextAll(t)
      .map((f) => `${f.ruleId}@${f.start}-${f.end}`)
      .sort();

  it('never change findings (property over texts full of digit runs)', () => {
    const piece = fc.oneof(
      fc.stringMatching(/^[0-9]{1,20}$/),
      fc.integer({ min: 0, max: 1e6 }).map((n) => luhnComplete('4' + String(n).padStart(14, '7'))),
      fc
        .integer({ min: 0, max: 1e6 })
        .map((n) => luhnComplete('5' + String(n).padStart(14, '3')).replace(/(\d{4})(?=\d)/g, '$1 ')),
      fc.integer({ min: 1e7, max: 9e9 }).map((n) => `+44 ${n}`),
      fc.constantFrom(
        '2023-12-24T11:35:38.243Z',
        'card',
        'account no:',
        'SSN:',
        'CPF 529.982.247-25',
        '536-22-8721',
        ' ',
        '-',
        '+',
        '(',
        ')',
        '.',
      ),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((a) => a.join(' ')),
        (text) => {
          expect(key(text, on)).toEqual(key(text, off));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('still find the planted values', () => {
    const card = luhnComplete('453201511283036');
    const text = `2023-12-24T11:35:38.243Z card ${card} call +44 7911 123456 acct no: 4059621857`;
    const ids = on.scanText(text).map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['credit-card', 'phone-e164', 'bank-account-number']));
  });
});
