import fc from 'fast-check';
import { AhoCorasick } from '../../src/scan/prefilter/aho-corasick';
import { Anchor } from '../../src/scan/prefilter/anchors';
import { Prefilter } from '../../src/scan/prefilter/prefilter';

function hitsOf(p: Prefilter, text: string): Array<[number, number, number]> {
  const n = p.scan(text);
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) out.push([p.hits[3 * i]!, p.hits[3 * i + 1]!, p.hits[3 * i + 2]!]);
  return out;
}

function naive(keywords: string[], text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  keywords.forEach((k, id) => {
    const kl = k.toLowerCase();
    for (let i = lower.indexOf(kl); i >= 0; i = lower.indexOf(kl, i + 1)) out.push(`${id}@${i}`);
  });
  return out.sort();
}

describe('Aho-Corasick prefilter', () => {
  it('finds exactly what indexOf finds, case-insensitively (property)', () => {
    const alpha = fc.constantFrom('a', 'b', 'A', 'B', '_', '-', 'x', ' ', 'é', '😀'); // x and space: the no-keyword column
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc
            .array(fc.constantFrom('a', 'b', '_', '-'), { minLength: 1, maxLength: 4 })
            .map((a) => a.join('')),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(alpha, { maxLength: 60 }).map((a) => a.join('')),
        (keywords, text) => {
          const p = new Prefilter(keywords, []);
          const got = hitsOf(p, text).map(([k, s, e]) => {
            expect(e - s).toBe(keywords[k]!.length);
            return `${k}@${s}`;
          });
          expect(got.sort()).toEqual(naive(keywords, text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses a dense Int32Array table with upper case folded', () => {
    const ac = new AhoCorasick(['ghp_']);
    expect(ac.next).toBeInstanceOf(Int32Array);
    expect(ac.stride).toBe(5); // g h p _ plus the "any other char" column
    expect(ac.next.length).toBe(ac.stateCount * ac.stride);
    expect(ac.column[71]).toBe(ac.column[103]); // 'G' === 'g'
    expect(ac.column['x'.charCodeAt(0)]).toBe(0);
  });

  it('rejects non-ASCII keywords', () => {
    expect(() => new AhoCorasick(['pässword'])).toThrow(/not ASCII/);
  });

  const all = [
    Anchor.digits,
    Anchor.email,
    Anchor.entropy,
    Anchor.ipv4,
    Anchor.ipv6,
    Anchor.iban,
    Anchor.hex,
    Anchor.base64,
    Anchor.uuid,
    Anchor.percent,
    Anchor.escape,
  ];
  const anchorsIn = (text: string): Set<number> =>
    new Set(hitsOf(new Prefilter([], all), text).map(([k]) => -k - 1));

  it('skipping to the first possible anchor token finds what a full anchor pass finds (property)', () => {
    // The shortcut (a fixed regex for the first INTEREST char or long token) must agree with the
    // per-char anchor loop run from position 0 on any text.
    const ch = fc.constantFrom(
      'a',
      'Z',
      '0',
      '7',
      ' ',
      '\n',
      '@',
      '%',
      ':',
      '\\',
      'u',
      '.',
      '-',
      '+',
      '=',
      '/',
      '_',
      'é',
      '😀',
      '\t',
      'f',
      'x',
      'G',
      'B',
    );
    fc.assert(
      fc.property(
        fc.array(ch, { maxLength: 120 }).map((a) => a.join('')),
        (text) => {
          const fast = new Prefilter([], all);
          const n = fast.scan(text);
          const got = Array.from(fast.hits.subarray(0, 3 * n)).join(',');
          const full = new Prefilter([], all);
          full.count = 0;
          (full as unknown as { anchors(t: string, from: number): void }).anchors(text, 0);
          expect(got).toBe(Array.from(full.hits.subarray(0, 3 * full.count)).join(','));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['card 4532 0151 1283 0366 exp', Anchor.digits],
    ['call +1 (415) 555-2671', Anchor.digits],
    ['mail a.b@c.io', Anchor.email],
    ['n 1234567 ,x@y.io', Anchor.email],
    ['1234 5678 abc,x@y.io', Anchor.email],
    ['ip 8.8.4.4 ok', Anchor.ipv4],
    ['v6 2001:db8::1 ok', Anchor.ipv6],
    ['iban DE47 3704', Anchor.iban],
    ['sha deadbeefcafebabe0123 x', Anchor.hex],
    ['ether 3c:22:fb:8a:19:d4 up', Anchor.hex],
    ['ether 3c-22-fb-8a-19-d4', Anchor.hex],
    ['tok dGhpcyBpcyBhIHNlY3JldA== x', Anchor.base64],
    ['k A1b2C3d4E5f6G7h8 x', Anchor.entropy],
    ['id 123e4567-e89b-12d3-a456-426614174000 x', Anchor.uuid],
    ['q=a%20b', Anchor.percent],
    ['s="\\u0041"', Anchor.escape],
  ])('anchor in %j', (text, anchor) => {
    expect(anchorsIn(text).has(anchor)).toBe(true);
  });

  it.each([
    ['hello world, this is a normal chat message.', Anchor.digits],
    ['I have 3 cats and 4 dogs', Anchor.digits],
    ['time 12:30:45', Anchor.ipv6],
    ['short abc123', Anchor.base64],
    ['Hello World', Anchor.iban],
    ['a bad-face-cafe', Anchor.hex],
  ])('no anchor in %j', (text, anchor) => {
    expect(anchorsIn(text).has(anchor)).toBe(false);
  });

  it('reports a long run once, as a span', () => {
    const text = `x ${'a'.repeat(100000)} y`;
    const h = hitsOf(new Prefilter([], [Anchor.base64]), text);
    expect(h).toEqual([[-(Anchor.base64 + 1), 2, 100002]]);
  });
});

/**
 * The per-char anchor loop the prefilter used before its candidate search (kept as the oracle):
 * detail() from every whitespace-delimited token (non-ASCII delimits too) that has a digit,
 * `@`, `%`, `\` or `:` or is >= 16 chars long, unless an earlier detail() ran over its start.
 */
function referenceAnchorHits(p: Prefilter, text: string): Array<[number, number, number]> {
  const isSpace = (c: number) => c >= 128 || c === 32 || (c >= 9 && c <= 13);
  const interest = (c: number) => (c >= 48 && c <= 57) || c === 64 || c === 37 || c === 92 || c === 58;
  p.count = 0;
  // Bracket access: detail() is the private state machine both versions share.
  const detail = (from: number): number => p['detail'](text, from);
  let tokStart = 0;
  let has = false;
  let detailEnd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isSpace(c)) {
      if (interest(c)) has = true;
      continue;
    }
    if ((has || i - tokStart >= 16) && tokStart >= detailEnd) detailEnd = detail(tokStart);
    has = false;
    tokStart = i + 1;
  }
  if ((has || text.length - tokStart >= 16) && tokStart >= detailEnd) detail(tokStart);
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < p.count; i++) out.push([p.hits[3 * i]!, p.hits[3 * i + 1]!, p.hits[3 * i + 2]!]);
  return out;
}

describe('anchor candidate search', () => {
  const every = Array.from({ length: 11 }, (_, i) => i);
  it('runs the anchor machines on the same tokens as the per-char loop (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(' ', '  ', '\n', '\t', 'é', '€', ' - ', ':', '::', '@', '%2F', '\\u00', '.', '-'),
      fc.stringMatching(/^[a-z]{1,8}$/),
      fc.stringMatching(/^[0-9]{1,19}$/),
      fc.stringMatching(/^[A-Za-z0-9+/=_-]{10,40}$/),
      fc.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      fc.stringMatching(/^[0-9]{3,4}( [0-9]{4}){2,4}$/),
      fc.stringMatching(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{4,20}$/),
      fc.stringMatching(/^([0-9a-f]{2}:){3,7}[0-9a-f]{2}$/),
      fc.stringMatching(/^[a-z0-9.]{1,10}@[a-z]{2,8}\.[a-z]{2,3}$/),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
        (text) => {
          const p = new Prefilter([], every);
          const got = hitsOf(p, text);
          expect(got).toEqual(referenceAnchorHits(new Prefilter([], every), text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a text that is exactly a UUID gets the general pass's hits, in its order (property)", () => {
    // Digit-heavy and mixed-case hex, so digit runs across dashes and IBAN's capitals-then-digits occur.
    const hex = fc.constantFrom(...'0123456789012345678901234567890123456789abcdefABCDEF');
    const group = (n: number): fc.Arbitrary<string> =>
      fc.array(hex, { minLength: n, maxLength: n }).map((a) => a.join(''));
    const uuid = fc.tuple(group(8), group(4), group(4), group(4), group(12)).map((g) => g.join('-'));
    const anchorSets = fc.oneof(fc.constant(every), fc.subarray(every, { minLength: 1 }));
    let fast = 0;
    fc.assert(
      fc.property(uuid, anchorSets, (text, anchors) => {
        const general = new Prefilter(['dead', 'be', '12'], anchors);
        general.uuidFastPath = false;
        const p = new Prefilter(['dead', 'be', '12'], anchors);
        expect(hitsOf(p, text)).toEqual(hitsOf(general, text));
        fast++;
      }),
      { numRuns: 5000 },
    );
    expect(fast).toBe(5000);
    // What it takes: exactly 36 chars, 8-4-4-4-12 (anything else goes the general way).
    const p = new Prefilter([], every);
    for (const t of [
      '2262-147c-488e-8f19-54b95bd8d8221',
      '711e2262-147c-488e-8f19-54b95bd8d82',
      '711e2262x147c-488e-8f19-54b95bd8d822',
    ])
      expect(hitsOf(p, t)).toEqual(referenceAnchorHits(new Prefilter([], every), t));
  });
});
