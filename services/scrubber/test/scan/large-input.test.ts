import { confirmWindow } from '../../src/scan/confirm';
import { createRegexEngine, MAX_REGEX_INPUT_CHARS } from '../../src/scan/regex-engine';
import type { RawMatch } from '../../src/scan/confirm';
import type { CompiledRule } from '../../src/scan/rules/compiled-rule';
import { AWS_ID, GHP, repeatedLinesWithToken, starterEngine } from './support/engine';

// No timing assertions: these inputs must complete, without a WASM heap abort, and be correct.
jest.setTimeout(180_000);

describe('large and adversarial inputs', () => {
  const engine = starterEngine();

  it('50 MB of mixed chat text with a few secrets', () => {
    const { text, inserted } = repeatedLinesWithToken(
      'hey, can you check the deploy logs? the build on main failed again, see ticket. ',
      GHP,
      200_000,
    );
    const f = engine.scanText(text);
    expect(f.filter((x) => x.ruleId === 'github-pat-classic').map((x) => x.start)).toEqual(inserted);
  });

  it('one 50 MB base64-ish run with secrets inside: windows stay small', () => {
    const chunk = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk';
    let text = chunk.repeat(Math.ceil((50 * 1024 * 1024) / chunk.length));
    const mid = text.length >> 1;
    text = `${text.slice(0, mid)}/${AWS_ID}/${text.slice(mid)}`;
    const f = engine.scanText(text);
    expect(f.map((x) => [x.ruleId, text.slice(x.start, x.end)])).toContainEqual([
      'aws-access-key-id',
      AWS_ID,
    ]);
  });

  it('50 MB of a single char', () => {
    expect(engine.scanText('a'.repeat(50 * 1024 * 1024))).toEqual([]);
  });

  it('ReDoS bait completes (RE2 is linear)', () => {
    expect(engine.scanText(`${'a'.repeat(1_000_000)}!`)).toEqual([]);
    const bait = `password: ${'a'.repeat(200_000)}! email ${'a.'.repeat(100_000)}@`;
    expect(Array.isArray(engine.scanText(bait))).toBe(true);
    const re = createRegexEngine('re2-wasm').compile('(a+)+$', { caseInsensitive: false, secretGroup: 0 });
    const out: number[] = [];
    expect(re.execAll(`${'a'.repeat(MAX_REGEX_INPUT_CHARS - 1)}!`, out)).toBe(0);
  });

  it('refuses a regex input over the cap instead of risking the WASM heap', () => {
    const re = createRegexEngine('re2-wasm').compile('x', { caseInsensitive: false, secretGroup: 0 });
    expect(() => re.execAll('a'.repeat(MAX_REGEX_INPUT_CHARS + 1), [])).toThrow(/exceeds/);
  });
});

describe('confirm windows', () => {
  const engine = createRegexEngine('re2-wasm');
  const rule = (pattern: string, maxLength: number): CompiledRule =>
    ({
      id: 't',
      maxLength,
      pattern: engine.compile(pattern, { caseInsensitive: false, secretGroup: 1 }),
    }) as unknown as CompiledRule;

  it('finds every match exactly once across chunk boundaries (small chunks)', () => {
    const r = rule('(tok_[a-z]{6,10})', 14);
    const parts: string[] = [];
    const expected: number[] = [];
    let pos = 0;
    for (let i = 0; i < 300; i++) {
      const pad = ' '.repeat(i % 23);
      parts.push(pad);
      pos += pad.length;
      const t = `tok_${'abcdefghij'.slice(0, 6 + (i % 5))}`;
      expected.push(pos);
      parts.push(t, ' ');
      pos += t.length + 1;
    }
    const text = parts.join('');
    const out: RawMatch[] = [];
    confirmWindow(r, text, 0, text.length, out, 64);
    expect(out.map((m) => m.start)).toEqual(expected);
    for (const m of out) expect(text.slice(m.start, m.end)).toMatch(/^tok_[a-z]{6,10}$/);
  });

  it('keeps code point offsets right inside a window full of emoji', () => {
    const r = rule('(tok_[a-z]{6})', 10);
    const text = '😀'.repeat(50) + 'tok_abcdef' + '👍🏽'.repeat(30) + 'tok_ghijkl';
    const out: RawMatch[] = [];
    confirmWindow(r, text, 0, text.length, out, 40);
    expect(out.map((m) => text.slice(m.start, m.end))).toEqual(['tok_abcdef', 'tok_ghijkl']);
  });
});
