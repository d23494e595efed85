import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ScanEngine } from '../../src/scan/engine';
import { AWS_ID, CARD, GHP, KEY } from './support/engine';

/**
 * A seam request (RecordScanRequest.seamAt) is answered from one prefilter pass over the direct
 * join when that pass has no hit. These tests hold it to the two full scans it replaces: the same
 * findings for the line-break join and the direct join, on inputs built to sit on the junction.
 */

// The full built-in ruleset: every anchor and context rule the pipeline runs.
const engine = ScanEngine.create({ fingerprintKey: KEY });

function fullScans(p: string, c: string): unknown[] {
  return [engine.scanText(p + '\n' + c, 'chat'), engine.scanText(p + c, 'chat')];
}

function seamScan(p: string, c: string): unknown[] {
  const res = engine.scanRecord({ texts: [{ path: 'seam', text: p + c }], source: 'chat', seamAt: p.length });
  if (!res.ok) throw new Error(`seam scan failed: ${res.code}`);
  return res.findings;
}

// Secrets, context words and the characters the prefilter's trackers turn on (digit separators,
// hex, colons, `%XX`, `\u`, capitals before digits), plus what normalisation folds or removes.
const SECRETS = [
  GHP,
  AWS_ID,
  CARD,
  '4532 0151 1283 0366',
  'jane.doe@example.com',
  'GB82WEST12345698765432',
  '123-45-6789',
  '+44 20 7946 0958',
  '10.20.30.40',
  'fe80::1ff:fe23:4567:890a',
  '00:1a:2b:3c:4d:5e',
  '711e2262-147c-488e-8f19-54b95bd8d822',
  'deadbeefcafebabe0123456789abcdef',
  'QUtJQUdHQUtKU0RGVjZHVU1SWkQ=',
  '%41%4B%49%41',
  '\\u0041\\u004b',
  'xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx',
  'password is hunter2!',
  'the api key: Zx9Qw8Er7Ty6Ui5Op4',
  'Contains MNPI',
];
const WORDS = [
  'hello',
  'the password is',
  'my key',
  'ok',
  'ssn',
  'call me on',
  'tomorrow at 10',
  'AB',
  '12',
  '%',
  '\\',
];
const ODD = [
  '\u0301',
  '\u200b',
  'ｇｈｐ＿',
  '\ud83d\ude00',
  '\ud83d',
  '\ude00',
  'é',
  ' ',
  '  ',
  '\t',
  '-',
  '.',
  ':',
  '=',
  '/',
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SECRETS) },
  { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-fA-F:\-. ]{1,20}$/) },
);
const side = fc.array(piece, { maxLength: 6 }).map((xs) => xs.join(' '));
// A secret cut in two, each half on its side of the junction, with some text around it.
const splitSecret = fc
  .tuple(fc.constantFrom(...SECRETS, ...WORDS), fc.double({ min: 0, max: 1, noNaN: true }), side, side)
  .map(([s, cut, before, after]) => {
    const k = Math.floor(cut * (s.length + 1));
    return [before + s.slice(0, k), s.slice(k) + after] as const;
  });
const seam = fc.oneof(splitSecret, fc.tuple(side, side));

describe('seam requests', () => {
  test('give the same findings as scanning both joins in full (property)', () => {
    const before = { ...engine.seamStats };
    fc.assert(
      fc.property(seam, ([p, c]) => {
        expect(seamScan(p, c)).toEqual(fullScans(p, c));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: both paths ran (clean seams settled by one pass, and seams with hits).
    const seams = engine.seamStats.seams - before.seams;
    const clean = engine.seamStats.clean - before.clean;
    expect(clean).toBeGreaterThan(seams * 0.05);
    expect(seams - clean).toBeGreaterThan(seams * 0.3);
  });

  test('find what needs both sides: a split token, and context in one part with the value in the other', () => {
    const [p, c] = [`here it is ${AWS_ID.slice(0, 9)}`, `${AWS_ID.slice(9)} thanks`];
    const [byLine, direct] = seamScan(p, c) as Array<Array<{ ruleId: string; start: number; end: number }>>;
    expect(direct!.map((f) => [f.ruleId, f.start, f.end])).toContainEqual(['aws-access-key-id', 11, 31]);
    expect(byLine).toEqual(engine.scanText(p + '\n' + c, 'chat'));
    expect(seamScan('ordinary words', 'more words')).toEqual([[], []]);
  });

  test('a combining mark at the junction takes the full path: in the direct join it composes with the keyword', () => {
    // `MNPI` + U+0301 is `MNPÍ` in the direct join (no keyword, no hit), but the line-break join
    // keeps the keyword, and its finding.
    const before = engine.seamStats.clean;
    const [p, c] = ['Contains MNPI', '\u0301 x'];
    const full = fullScans(p, c) as Array<Array<{ ruleId: string }>>;
    expect(full[0]!.map((f) => f.ruleId)).toContain('mnpi-marker');
    expect(seamScan(p, c)).toEqual(full);
    expect(engine.seamStats.clean).toBe(before);
  });

  test('no keyword can hold a line break (what the one pass relies on): the loader refuses one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-seam-rules-'));
    const file = join(dir, 'multiline.yaml');
    writeFileSync(
      file,
      `version: 1
rules:
  - id: two-line-marker
    description: a marker written over two lines
    category: confidential
    action: quarantine
    label: MARKER
    keywords: ["begin\\nsecret"]
    pattern: '(begin\\nsecret [a-z]{6})'
`,
    );
    expect(() =>
      ScanEngine.create({ fingerprintKey: KEY, includeBuiltin: false, ruleFiles: [file] }),
    ).toThrow(/printable ASCII/);
  });

  test('a malformed seam request fails closed with a code', () => {
    for (const req of [
      { texts: [], source: 'chat', seamAt: 0 },
      { texts: [{ path: 'seam', text: 'ab' }], source: 'chat', seamAt: 3 },
      { texts: [{ path: 'seam', text: 'ab' }], source: 'chat', seamAt: -1 },
    ])
      expect(engine.scanRecord(req)).toMatchObject({ ok: false, code: 'SLUICE_SCAN_FAILED' });
  });
});
