import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { CleanMemo, MemoAnswer } from '../../src/scan/clean-memo';
import { AWS_ID, CARD, GHP, starterEngine } from './support/engine';
import { exposedGc } from '../support/gc';

/** What the engine does with a text that scanned clean: keep it if the memo had seen it. */
function sawClean(memo: CleanMemo, text: string): void {
  if (memo.check(text) === MemoAnswer.seen) memo.keep(text);
}
const held = (memo: CleanMemo, text: string): boolean => memo.check(text) === MemoAnswer.clean;

describe('CleanMemo', () => {
  it('stays within two generations however many texts pass through', () => {
    const memo = new CleanMemo(100, 64);
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      sawClean(memo, `id-${i}`);
      sawClean(memo, `id-${i}`); // seen twice: kept
      most = Math.max(most, memo.size);
    }
    expect(most).toBe(200);
  });

  it('keeps a text only the second time it is seen, so one-off values do not fill it', () => {
    const memo = new CleanMemo(4096, 64);
    for (let i = 0; i < 20_000; i++) sawClean(memo, randomUUID()); // message ids
    for (let i = 0; i < 20_000; i++) sawClean(memo, String(1_796_294_219_699 + i)); // timestamps
    expect(memo.size).toBeLessThan(100); // signature collisions only
    sawClean(memo, 'conv-7');
    expect(held(memo, 'conv-7')).toBe(false);
    sawClean(memo, 'conv-7');
    expect(held(memo, 'conv-7')).toBe(true);
  });

  it('keeps a text that keeps recurring while others come and go, and drops one that stops', () => {
    const memo = new CleanMemo(50, 64);
    for (const t of ['application/avro', 'application/avro', 'gone', 'gone']) sawClean(memo, t);
    let hits = 0;
    for (let i = 0; i < 5_000; i++) {
      // Texts that recur a few times each fill the generations (50 per generation: ~50 rotations).
      for (let k = 0; k < 3; k++) sawClean(memo, `sender-${i}`);
      // A header value on every record: answered from the memo nearly every time (a slot taken
      // over by another text costs one scan, then it is held again).
      if (held(memo, 'application/avro')) hits++;
      else sawClean(memo, 'application/avro');
    }
    expect(hits).toBeGreaterThan(4_500);
    expect(held(memo, 'gone')).toBe(false);
  });

  it('does not keep texts longer than maxChars', () => {
    const memo = new CleanMemo(10, 8);
    sawClean(memo, '123456789');
    sawClean(memo, '123456789');
    expect(held(memo, '123456789')).toBe(false);
    sawClean(memo, '12345678');
    sawClean(memo, '12345678');
    expect(held(memo, '12345678')).toBe(true);
  });

  it('does not keep alive the larger strings its texts were sliced from', () => {
    // A scan worker's texts are slices of its chunk's one packed string; V8 keeps the parent of
    // a slice of 13+ chars alive for as long as the slice lives.
    const gc = exposedGc();
    const memo = new CleanMemo(4096, 64);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let c = 0; c < 200; c++) {
      const chunk = `${'x'.repeat(256 * 1024)}sender-${String(c).padStart(12, '0')}${'y'.repeat(1024)}`;
      const text = chunk.slice(256 * 1024, 256 * 1024 + 19); // 200 parents: 51 MB if pinned
      sawClean(memo, text);
      sawClean(memo, text);
    }
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    expect(memo.size).toBe(200);
    expect(grownMb).toBeLessThan(16);
  });
});

describe('ScanEngine clean memo', () => {
  // telemetry has its own policy (email off), so one text can be clean there and not elsewhere.
  const overrides = { sources: { telemetry: { email: { enabled: false } } } };
  const withMemo = () => starterEngine({ cleanMemoEntries: 8, overrides });
  const without = () => starterEngine({ cleanMemoEntries: 0, overrides });

  it('gives the same findings as scanning every time, with secrets among repeated texts (property)', () => {
    // Short texts, clean and not, drawn with many repeats so the memo is consulted all the time;
    // a generation of 8 so entries rotate out and back within a run.
    const pool = [
      'conv-25',
      'INTERNAL',
      'application/vnd.sluice.chat+avro',
      '1796294219699',
      'user-402',
      AWS_ID,
      CARD,
      `token ${GHP}`,
      'mail dana@acme-corp.io',
      'call 415-555-0134',
      'conv-25 ', // a near-duplicate of a clean text
      'x'.repeat(64),
      'x'.repeat(65),
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: fc.constantFrom(...pool),
            source: fc.constantFrom(undefined, 'chat', 'telemetry'),
          }),
          { maxLength: 60 },
        ),
        (seq) => {
          for (const { text, source } of seq)
            expect(withMemo().scanText(text, source)).toEqual(without().scanText(text, source));
        },
      ),
      { numRuns: 300 },
    );
    expect(withMemo().memoStats.hits).toBeGreaterThan(0);
  });

  it('never answers from the memo for a text with findings', () => {
    const e = starterEngine({ cleanMemoEntries: 16 });
    for (let i = 0; i < 3; i++) expect(e.scanText(AWS_ID).length).toBeGreaterThan(0);
    const before = e.memoStats.hits;
    // Scanned, then kept (seen twice), then answered from the memo.
    for (let i = 0; i < 3; i++) expect(e.scanText('conv-25')).toEqual([]);
    expect(e.memoStats.hits).toBe(before + 1);
  });

  it('keeps one memo per source policy (a text clean for one source is scanned again for another)', () => {
    const e = starterEngine({
      cleanMemoEntries: 16,
      overrides: { sources: { telemetry: { email: { enabled: false } } } },
    });
    const text = 'mail dana@acme-corp.io';
    expect(e.scanText(text, 'telemetry')).toEqual([]);
    expect(e.scanText(text, 'telemetry')).toEqual([]);
    expect(e.scanText(text, 'chat').map((f) => f.ruleId)).toContain('email');
    expect(e.scanText(text).map((f) => f.ruleId)).toContain('email');
  });

  it('rejects a cleanMemoEntries that is not a non-negative integer', () => {
    expect(() => starterEngine({ cleanMemoEntries: -1 })).toThrow(/cleanMemoEntries -1 is out of range/);
    expect(() => starterEngine({ cleanMemoEntries: 1.5 })).toThrow(/cleanMemoEntries/);
  });
});
