import fc from 'fast-check';
import { ContextWords } from '../../src/scan/context-words';
import type { CompiledRule } from '../../src/scan/rules/compiled-rule';

const rule = (index: number, words: string[] | null, required = true): CompiledRule =>
  ({
    index,
    context: words === null ? null : { words, window: 40, required, exclude: [] },
  }) as unknown as CompiledRule;

describe('ContextWords', () => {
  const rules = [
    rule(0, ['ssn', 'social security']),
    rule(1, ['身份证', 'id card']),
    rule(2, null),
    rule(3, ['tin'], false),
  ];
  const cw = new ContextWords(rules);
  const may = (r: number, text: string): boolean => {
    cw.reset();
    return cw.mayHaveContext(rules[r]!, text, () => text.toLowerCase());
  };

  it('says whether any required word occurs in the whole text, case-insensitively', () => {
    expect(may(0, 'my SSN is 536-22-8721')).toBe(true);
    expect(may(0, 'Social Security 536228721')).toBe(true);
    expect(may(0, 'order 536-22-8721')).toBe(false);
    expect(may(1, '身份证号 11010519491231002X')).toBe(true);
    expect(may(1, 'ID Card 11010519491231002X')).toBe(true);
    expect(may(1, 'no words here')).toBe(false);
  });

  it('never gates rules without required context', () => {
    expect(may(2, 'anything')).toBe(true);
    expect(may(3, 'anything')).toBe(true);
  });

  it('forgets the previous text on reset', () => {
    expect(may(0, 'ssn')).toBe(true);
    expect(may(0, 'nothing')).toBe(false);
  });

  it('agrees with a substring search (property)', () => {
    const words = ['ssn', 'social security', 'tax id'];
    const r = rule(0, words);
    const c = new ContextWords([r]);
    const piece = fc.constantFrom(
      'ssn',
      'SSN',
      'Social',
      'security',
      'social security',
      'tax',
      ' id',
      'tax id',
      ' ',
      'x',
      'é',
      '😀',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 10 }).map((a) => a.join('')),
        (text) => {
          c.reset();
          const lower = text.toLowerCase();
          expect(c.mayHaveContext(r, text, () => lower)).toBe(words.some((w) => lower.includes(w)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with a substring search for every rule when words are ASCII or not, present or absent (property)', () => {
    // The shortcut for texts with no context word and no non-ASCII char must not hide a
    // non-ASCII word, nor another rule's ASCII word.
    const byRule = [['ssn', 'social security'], ['身份证', 'id card'], ['zip']];
    const rs = byRule.map((w, i) => rule(i, w));
    const c = new ContextWords(rs);
    const piece = fc.constantFrom('ssn', 'ID card', '身份证', '身份', 'zip', '1234', ' ', 'x', 'é');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }).map((a) => a.join('')),
        fc.nat({ max: 2 }),
        (text, first) => {
          c.reset();
          const lower = text.toLowerCase();
          // Ask in a rotated order: the first question triggers the scan.
          for (let k = 0; k < rs.length; k++) {
            const r = (first + k) % rs.length;
            expect(c.mayHaveContext(rs[r]!, text, () => lower)).toBe(
              byRule[r]!.some((w) => lower.includes(w)),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
    c.reset();
    // A timestamp is answered by the no-word shortcut: it is never lower-cased.
    const lower = jest.fn(() => '1764700000000');
    expect(c.mayHaveContext(rs[1]!, '1764700000000', lower)).toBe(false);
    expect(lower).not.toHaveBeenCalled();
    c.reset();
    expect(c.mayHaveContext(rs[1]!, '身份证 1764700000000', () => '身份证 1764700000000')).toBe(true);
  });
});
