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
    return cw.mayHaveContext(rules[r]!, text, text.toLowerCase());
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
          expect(c.mayHaveContext(r, text, lower)).toBe(words.some((w) => lower.includes(w)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
