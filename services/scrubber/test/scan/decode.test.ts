import fc from 'fast-check';
import type { EncodedRun } from '../../src/scan/decode';
import { base64Runs, decodeChunk, MIN_ENCODED_RUN, mostlyPrintable } from '../../src/scan/decode';
import { isUuid } from '../../src/scan/validators/hex-identifier';
import { AWS_ID, GHP, starterEngine } from './support/engine';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('decoding', () => {
  const engine = starterEngine();

  it.each([
    ['base64', (s: string) => b64(s)],
    ['base64url', (s: string) => Buffer.from(s).toString('base64url')],
    ['hex', (s: string) => Buffer.from(s).toString('hex')],
    ['percent', (s: string) => encodeURIComponent(s).replace(/_/g, '%5F').replace(/=/g, '%3D')],
    [
      '\\u escapes',
      (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    ],
    [
      '\\x escapes',
      (s: string) => [...s].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    ],
  ])('finds a secret inside %s and redacts the whole encoded run', (_name, enc) => {
    const run = enc(`config: token=${GHP} done`);
    const text = `payload "${run}" end`;
    const f = engine.scanText(text).filter((x) => x.ruleId === 'github-pat-classic');
    expect(f).toHaveLength(1);
    expect(text.slice(f[0]!.start, f[0]!.end)).toBe(run);
    expect(f[0]!.preview).toBe('ghp_…OIn3');
  });

  it('looks through two levels (base64 of hex) but not three', () => {
    const two = b64(Buffer.from(`key ${AWS_ID} here`).toString('hex'));
    expect(engine.scanText(`x ${two} y`).map((f) => f.ruleId)).toEqual(['aws-access-key-id']);
    const three = b64(b64(b64(`key ${AWS_ID} here`)));
    expect(engine.scanText(`x ${three} y`)).toEqual([]);
    expect(starterEngine({ decodeDepth: 0 }).scanText(`x ${b64(`key ${AWS_ID} here`)} y`)).toEqual([]);
  });

  it('finds a base64 run after a `=` inside a token (key=<base64>)', () => {
    const run = b64(`password: hG7#kq2LmZ9p!x`);
    const text = `cfg=${run}`;
    const f = engine.scanText(text);
    expect(f.map((x) => x.ruleId)).toEqual(['generic-password-assignment']);
    expect(text.slice(f[0]!.start, f[0]!.end)).toBe(run);
  });

  it('skips runs that decode to binary', () => {
    expect(decodeChunk('base64', 'q83vEjRWeJq83vEjRWeJq83vEjRW')).toBeNull();
    expect(decodeChunk('base64', b64('plain printable text here'))).toBe('plain printable text here');
    expect(mostlyPrintable('\u0000\u0001abc')).toBe(false);
  });
});

describe('base64 runs and UUIDs (native class scans)', () => {
  // The per-char loops the native scans replaced, kept here as the reference.
  const isB64 = (c: number): boolean => /[0-9A-Za-z+/_-]/.test(String.fromCharCode(c));
  const isHexChar = (c: number): boolean => /[0-9a-fA-F]/.test(String.fromCharCode(c));
  function referenceIsUuid(text: string, s: number, e: number): boolean {
    if (e - s !== 36) return false;
    for (let k = 0; k < 36; k++) {
      const c = text.charCodeAt(s + k);
      if (k === 8 || k === 13 || k === 18 || k === 23 ? c !== 45 : !isHexChar(c)) return false;
    }
    return true;
  }
  function referenceRuns(text: string, start: number, end: number): EncodedRun[] {
    const out: EncodedRun[] = [];
    let i = start;
    while (i < end) {
      while (i < end && !isB64(text.charCodeAt(i))) i++;
      const s = i;
      while (i < end && isB64(text.charCodeAt(i))) i++;
      let e = i;
      while (e < end && text.charCodeAt(e) === 61 && e - i < 2) e++;
      if (i - s >= MIN_ENCODED_RUN && !referenceIsUuid(text, s, i))
        out.push({ kind: 'base64', start: s, end: e });
      i = e > i ? e : i + 1;
    }
    return out;
  }
  const piece = fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.stringMatching(/^[0-9a-fA-F-]{30,40}$/),
    fc.stringMatching(/^[A-Za-z0-9+/_=-]{1,40}$/),
    fc.constantFrom('=', '==', ' ', '.', 'é', ':'),
  );

  it('finds the same runs as a per-char loop, over any span of the text (property)', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }).map((a) => a.join('')),
        fc.nat(),
        fc.nat(),
        (text, a, b) => {
          const start = a % (text.length + 1);
          const end = start + (b % (text.length - start + 1));
          const got: EncodedRun[] = [];
          base64Runs(text, start, end, got);
          expect(got).toEqual(referenceRuns(text, start, end));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('tells a UUID as the per-char loop does, at any offset (property)', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 4 }).map((a) => a.join('')),
        fc.nat(),
        (text, a) => {
          for (let s = a % (text.length + 1), k = 0; s <= text.length && k < 40; s++, k++)
            expect(isUuid(text, s, s + 36)).toBe(referenceIsUuid(text, s, s + 36));
        },
      ),
      { numRuns: 1000 },
    );
    expect(isUuid('x d44c5c80-a70a-4315-80fd-e9e3ec0553ee', 2, 38)).toBe(true);
    expect(isUuid('d44c5c80-a70a-4315-80fd-e9e3ec0553e', 0, 36)).toBe(false);
  });
});
