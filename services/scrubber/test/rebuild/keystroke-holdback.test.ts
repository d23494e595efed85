import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { encodeAvro } from '../../src/codec/record-codec';
import { BatchProcessor, type AnalysedRecord, type InputMessage } from '../../src/route/batch-processor';
import { AvroValueCodec } from '../../src/route/avro-value-codec';
import { EnvelopeWriter } from '../../src/quarantine/envelope-writer';
import { KeystrokeHoldback, unfinishedToken } from '../../src/rebuild/keystroke-holdback';
import { ScanEngine } from '../../src/scan/engine';
import type { RecordScanner } from '../../src/scan/types';
import type { ResolvedSource } from '../../src/config/load-config';
import { awsAccessKeyId, seededRng } from '../../src/demo/synthetic-secrets';

const KEY = Buffer.alloc(32, 3);
const registry = SchemaRegistry.load();
const engine = ScanEngine.create({ fingerprintKey: KEY });
/** The real engine, in-thread: the hold-back is tested against real rules. */
const scanner: RecordScanner = {
  rulesetVersion: engine.rulesetVersion,
  scanBatch: async (rs) => rs.map((r) => engine.scanRecord(r)),
  close: async () => undefined,
};
const source: ResolvedSource = {
  name: 'telemetry',
  topic: 't',
  format: 'avro',
  kind: 'telemetry',
  outputs: { clean: 'c', redacted: 'r', quarantine: 'q' },
};
const processor = new BatchProcessor({
  source,
  codec: new AvroValueCodec(registry, source),
  scanner,
  envelopes: new EnvelopeWriter(registry, generateKeyPairSync('x25519').publicKey, 'k', 'test'),
  fingerprintKey: KEY,
  maxRecordBytes: 100_000,
  rulesetVersion: () => 'x',
});

let offset = 0;
let clock = 1_000_000;
function event(
  body: Record<string, unknown>,
  opts: { session?: string; field?: string | null; ts?: number } = {},
): InputMessage {
  const value = encodeAvro(registry, 1, {
    eventId: randomUUID(),
    device: 'd1',
    session: opts.session ?? 's1',
    seq: offset,
    timestampMs: 0,
    app: 'term',
    window: null,
    field: opts.field === null ? null : { id: opts.field ?? 'f1', kind: 'TERMINAL', sensitive: false },
    body,
  });
  return {
    offset: String(offset++),
    timestamp: String(opts.ts ?? clock),
    key: Buffer.from('d1/s1'),
    value,
    headers: {},
  };
}
const key = (k: string, opts: { session?: string; ts?: number; modifiers?: string[] } = {}) =>
  event(
    { 'io.sluice.KeyEvent': { key: k, code: null, modifiers: opts.modifiers ?? [], repeat: false } },
    opts,
  );
const typed = (text: string, opts: { session?: string; ts?: number } = {}) =>
  [...text].map((c) => key(c, opts));

function holdback(over: Partial<ConstructorParameters<typeof KeystrokeHoldback>[0]> = {}) {
  return new KeystrokeHoldback({
    source: 'telemetry',
    scanner,
    fingerprintKey: KEY,
    idleGapMs: 2_000,
    maxHoldMs: 30_000,
    maxRunChars: 4096,
    maxHeldEvents: 10_000,
    now: () => clock,
    ...over,
  });
}
const verdicts = (recs: AnalysedRecord[]) => recs.map((a) => processor.decideRecord(a).verdict);

describe('KeystrokeHoldback', () => {
  test('a typed AWS key: held until Enter, then exactly its key events are quarantined', async () => {
    const hb = holdback();
    const secret = awsAccessKeyId(seededRng(1));
    const msgs = [...typed('aws configure set aws_access_key_id '), ...typed(secret)];
    await hb.ingest(await processor.analyse(msgs));
    expect(hb.releasable()).toHaveLength(0);
    expect(hb.heldCount).toBe(msgs.length);
    await hb.ingest(await processor.analyse([key('Enter')]));
    const out = hb.releasable();
    expect(out).toHaveLength(msgs.length + 1);
    const v = verdicts(out);
    expect(v.slice(0, 36).every((x) => x === 'clean')).toBe(true);
    expect(v.slice(36, 56).every((x) => x === 'quarantined')).toBe(true);
    expect(v[56]).toBe('clean');
    hb.commitReleased(out.length);
    expect(hb.queuedCount).toBe(0);
  });

  test('head-of-line: nothing after the oldest held event is released', async () => {
    const hb = holdback();
    await hb.ingest(
      await processor.analyse([
        ...typed('ls -la'),
        event({ 'io.sluice.PointerEvent': { kind: 'CLICK', x: 1, y: 2, button: 0, text: null } }),
      ]),
    );
    expect(hb.releasable()).toHaveLength(0);
    await hb.ingest(await processor.analyse([key('Enter')]));
    expect(hb.releasable()).toHaveLength(8);
  });

  test('an idle gap settles plain text; a secret-looking run waits for the maximum hold and fails closed', async () => {
    const hb = holdback();
    const t0 = clock;
    await hb.ingest(
      await processor.analyse([
        ...typed('hello world', { session: 'a' }),
        ...typed('tok AKIA2QX', { session: 'b' }),
      ]),
    );
    clock = t0 + 2_500;
    // Only a partition confirmed fully read lets the wall clock move runs on.
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    // Session a settled, but b ("AKIA2QX" looks like the start of a key) keeps the head blocked
    // only if it came first; here a's events come first and are releasable.
    expect(
      verdicts(hb.releasable())
        .slice(0, 11)
        .every((x) => x === 'clean'),
    ).toBe(true);
    expect(hb.heldCount).toBe(11);
    clock = t0 + 31_000;
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    const out = hb.releasable();
    expect(out).toHaveLength(22);
    const v = verdicts(out.slice(11));
    expect(v.slice(0, 4)).toEqual(['clean', 'clean', 'clean', 'clean']); // "tok "
    expect(v.slice(4).every((x) => x === 'redacted')).toBe(true); // "AKIA2QX" masked, never clean
    expect(processor.decideRecord(out[15]!).findings[0]!.ruleId).toBe('keystroke-unsettled');
  });

  test('a partition that looks quiet but is not confirmed read keeps its runs held', async () => {
    const hb = holdback();
    await hb.ingest(await processor.analyse(typed('export KEY=AKIA')));
    clock += 60_000; // broker down, rebalance, a starved fetch: no batches, no confirmation
    await hb.tick();
    expect(hb.releasable()).toHaveLength(0);
    hb.markCaughtUp(BigInt(offset + 5)); // records exist beyond what we ingested: not caught up
    await hb.tick();
    expect(hb.releasable()).toHaveLength(0);
    expect(hb.heldCount).toBe(15);
  });

  test('event time decides idleness while records flow (a replayed backlog is not split)', async () => {
    const hb = holdback();
    const base = clock;
    await hb.ingest(await processor.analyse(typed('first line', { ts: base })));
    clock += 60_000; // wall clock ran on (slow processing), but no event time passed
    await hb.ingest(await processor.analyse(typed(' more', { ts: base + 100, session: 'other' })));
    await hb.tick();
    // The partition is not quiet (records just arrived) and the typist paused only 100 ms.
    expect(hb.releasable()).toHaveLength(0);
    await hb.ingest(await processor.analyse([key('x', { ts: base + 10_000, session: 'other' })]));
    await hb.tick();
    expect(hb.releasable().length).toBeGreaterThanOrEqual(10);
  });

  test('a secret typed and erased is still caught through the inserted stream', async () => {
    const hb = holdback();
    const secret = awsAccessKeyId(seededRng(2));
    const msgs = [
      ...typed(secret),
      key('a', { modifiers: ['CTRL'] }),
      key('Backspace'),
      ...typed('ok'),
      key('Enter'),
    ];
    await hb.ingest(await processor.analyse(msgs));
    const v = verdicts(hb.releasable());
    expect(v.slice(0, 20).every((x) => x === 'quarantined')).toBe(true);
    expect(v.slice(20)).toEqual(['clean', 'clean', 'clean', 'clean', 'clean']);
  });

  test('a paste completing a typed secret is redacted only where it carried the secret', async () => {
    const hb = holdback();
    const secret = awsAccessKeyId(seededRng(3));
    const msgs = [
      ...typed('id '),
      event({
        'io.sluice.ClipboardEvent': { op: 'PASTE', text: `${secret.slice(0, 10)}`, mime: 'text/plain' },
      }),
      ...typed(secret.slice(10)),
      key('Enter'),
    ];
    await hb.ingest(await processor.analyse(msgs));
    const out = hb.releasable();
    const paste = processor.decideRecord(out[3]!);
    expect(paste.verdict).toBe('quarantined');
    expect(paste.findings[0]).toMatchObject({ path: 'value.body.ClipboardEvent.text', start: 0, end: 10 });
  });

  test('a focus change ends every run of the device+session', async () => {
    const hb = holdback();
    await hb.ingest(
      await processor.analyse([
        ...typed('abc'),
        event({ 'io.sluice.FocusEvent': { kind: 'BLUR', target: 'x' } }, { field: null }),
      ]),
    );
    expect(hb.releasable()).toHaveLength(4);
  });

  test('records another owner already emitted are dropped, and a run cut by them fails closed', async () => {
    const hb = holdback();
    const msgs = typed('tok AKIAQX');
    await hb.ingest(await processor.analyse(msgs));
    expect(hb.releasable()).toHaveLength(0);
    hb.dropBelow(BigInt(msgs[4]!.offset)); // "tok " was emitted by the other owner
    expect(hb.queuedCount).toBe(6);
    await hb.tick();
    const out = hb.releasable();
    expect(out).toHaveLength(6);
    expect(verdicts(out).every((v) => v === 'redacted')).toBe(true); // "AKIAQX": never clean
  });

  test('re-delivered records are not held twice', async () => {
    const hb = holdback();
    const msgs = typed('abc');
    const analysed = await processor.analyse(msgs);
    await hb.ingest(analysed);
    await hb.ingest(analysed);
    expect(hb.queuedCount).toBe(3);
  });

  test('bounded: past maxHeldEvents the oldest runs are settled early', async () => {
    const hb = holdback({ maxHeldEvents: 50 });
    const msgs = [];
    for (let s = 0; s < 30; s++) msgs.push(...typed('word', { session: `s${s}` }));
    await hb.ingest(await processor.analyse(msgs));
    expect(hb.heldCount).toBeLessThanOrEqual(60);
  });

  test('unfinishedToken recognises prefixes and random-looking runs, not words', () => {
    expect(unfinishedToken('export AKIA')).not.toBeNull();
    expect(unfinishedToken('token gh')).not.toBeNull();
    expect(unfinishedToken('pw Xk9#pL2$vQ8!')).not.toBeNull();
    expect(unfinishedToken('hello world')).toBeNull();
    expect(unfinishedToken('the build is green ')).toBeNull();
  });
});
