import { decodeChunk, mostlyPrintable } from '../../src/scan/decode';
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
