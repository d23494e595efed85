import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { encodeAvro } from '../../src/codec/record-codec';
import type { AnalysedRecord, InputMessage } from '../../src/route/batch-processor';
import { inThreadProcessor } from '../support/in-thread';
import { KeystrokeHoldback, unfinishedToken } from '../../src/rebuild/keystroke-holdback';
import { awsAccessKeyId, cardNumber, seededRng } from '../../src/demo/synthetic-secrets';

const KEY = Buffer.alloc(32, 3);
/** The real engine, in-thread: the hold-back is tested against real rules. */
const { registry, scanner, processor } = inThreadProcessor('telemetry', KEY);

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

  test('a slow typist: the maximum hold cuts a long line between words, never inside the number being typed', async () => {
    const hb = holdback();
    const card = cardNumber(seededRng(3)).replace(/ /g, '');
    const t0 = clock;
    const keys = [...'card ', ...card];
    const out: AnalysedRecord[] = [];
    // 1.6 s a key: the line takes 33.6 s, past the 30 s maximum hold, which falls inside the card.
    for (let i = 0; i <= keys.length; i++) {
      const m = i < keys.length ? key(keys[i]!, { ts: t0 + i * 1600 }) : key('Enter', { ts: t0 + i * 1600 });
      await hb.ingest(await processor.analyse([m]));
      await hb.tick();
      const r = hb.releasable();
      out.push(...r);
      hb.commitReleased(r.length);
    }
    expect(out).toHaveLength(keys.length + 1);
    const v = verdicts(out);
    expect(v.slice(0, 5)).toEqual(['clean', 'clean', 'clean', 'clean', 'clean']); // "card "
    expect(v.slice(5, 5 + card.length).every((x) => x === 'redacted')).toBe(true);
    expect(processor.decideRecord(out[5]!).findings[0]!.ruleId).not.toBe('keystroke-unsettled');
  });

  test('after a token is masked at the maximum hold, the rest of it typed later is masked too', async () => {
    const hb = holdback();
    const t0 = clock;
    await hb.ingest(await processor.analyse(typed('tok AKIA2QX', { ts: t0 })));
    clock = t0 + 31_000;
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    const first = hb.releasable();
    expect(verdicts(first).slice(4)).toEqual(new Array(7).fill('redacted'));
    hb.commitReleased(first.length);
    // The typist goes on: the rest of the key, then a word, then Enter.
    const rest = [...typed('9ZZ4 ok', { ts: clock }), key('Enter', { ts: clock })];
    await hb.ingest(await processor.analyse(rest));
    const v = verdicts(hb.releasable());
    expect(v.slice(0, 4)).toEqual(['redacted', 'redacted', 'redacted', 'redacted']); // "9ZZ4"
    expect(v.slice(4)).toEqual(['clean', 'clean', 'clean', 'clean']); // " ok" and Enter
  });

  test('a new owner still masks the rest of a token the previous owner masked and released', async () => {
    const hb = holdback();
    const t0 = clock;
    const head = typed('tok AKIA2QX', { ts: t0 });
    await hb.ingest(await processor.analyse(head));
    clock = t0 + 31_000;
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    const out = hb.releasable();
    expect(out).toHaveLength(head.length);
    const committed = BigInt(offset); // everything released and committed
    const from = hb.contextFrom(out.length);
    expect(from).toBe(BigInt(head[0]!.offset)); // the masked run, so a new owner knows
    hb.commitReleased(out.length);
    // The owner dies; the typist goes on. The new owner re-reads the head as context.
    const rest = [...typed('9ZZ4 ok', { ts: clock }), key('Enter', { ts: clock })];
    const next = holdback();
    await next.ingest(await processor.analyse([...head, ...rest]), committed);
    await next.tick();
    const v = verdicts(next.releasable());
    expect(v).toHaveLength(rest.length);
    expect(v.slice(0, 4).every((x) => x !== 'clean')).toBe(true); // "9ZZ4": never clean
  });

  test('a token cut by the maximum hold is masked even when a rule matched elsewhere in the run', async () => {
    const hb = holdback();
    const t0 = clock;
    const secret = awsAccessKeyId(seededRng(8));
    await hb.ingest(await processor.analyse(typed(`aws ${secret} mail jane.d`, { ts: t0 })));
    clock = t0 + 31_000;
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    const v = verdicts(hb.releasable());
    expect(v.slice(4, 4 + secret.length).every((x) => x === 'quarantined')).toBe(true);
    expect(v.slice(-6)).toEqual(new Array(6).fill('redacted')); // "jane.d", cut mid-address
  });

  test('a token cut by the maximum hold is masked even when it does not look like a secret', async () => {
    // After a restart a run can begin in the middle of a key: "Q7XK" matches no prefix and is
    // too short for the entropy test, yet it is incomplete, and part of something.
    const hb = holdback();
    const t0 = clock;
    await hb.ingest(await processor.analyse(typed('ok Q7XK', { ts: t0 })));
    clock = t0 + 31_000;
    hb.markCaughtUp(BigInt(offset));
    await hb.tick();
    expect(verdicts(hb.releasable())).toEqual([
      'clean',
      'clean',
      'clean',
      'redacted',
      'redacted',
      'redacted',
      'redacted',
    ]);
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

  test('a run whose head went out before its tail: the commit carries where a new owner re-reads context', async () => {
    const hb = holdback();
    // Session a types a key; session b starts typing in the middle of it and is still typing.
    const secret = awsAccessKeyId(seededRng(4));
    const a1 = typed(`aws ${secret.slice(0, 8)}`, { session: 'a' });
    const b1 = typed('ls', { session: 'b' });
    const a2 = [...typed(secret.slice(8), { session: 'a' }), key('Enter', { session: 'a' })];
    await hb.ingest(await processor.analyse([...a1, ...b1, ...a2]));
    const out = hb.releasable();
    expect(out).toHaveLength(a1.length); // "aws AKIA…" goes out; b's open run holds the rest
    expect(hb.contextFrom(out.length)).toBe(BigInt(a1[0]!.offset));
    expect(verdicts(out).slice(4)).toEqual(new Array(8).fill('quarantined'));
    // The owner dies before releasing the rest. A new one re-reads from the context offset:
    // the head is context only (never released again), and the key's events are quarantined.
    const next = holdback();
    const committed = BigInt(b1[0]!.offset);
    await next.ingest(
      await processor.analyse([...a1, ...b1, ...a2, key('Enter', { session: 'b' })]),
      committed,
    );
    const again = next.releasable();
    expect(again.map((a) => a.p.msg.offset)).toEqual(
      [...b1, ...a2].map((m) => m.offset).concat(String(offset - 1)),
    );
    expect(verdicts(again).filter((v) => v === 'quarantined')).toHaveLength(secret.length - 8);
    // Without the context, the same tail alone is not recognised: that was the leak.
    const blind = holdback();
    await blind.ingest(await processor.analyse([...b1, ...a2]));
    await blind.ingest(await processor.analyse([key('Enter', { session: 'b' })]));
    expect(verdicts(blind.releasable()).filter((v) => v === 'quarantined')).toHaveLength(0);
  });

  test('property: a crash at any point never lets a typed secret key event reach clean', async () => {
    // Sessions type lines interleaved; some lines carry an AWS key. The first owner processes
    // chunks, releasing and committing what it may; it dies after a random chunk; a second owner
    // re-reads from the committed offset. Every event must be released exactly once, and every
    // key event of a secret must be quarantined by whichever owner released it.
    const arb = fc.record({
      lines: fc.array(
        fc.record({
          session: fc.integer({ min: 0, max: 4 }),
          secret: fc.boolean(),
          word: fc.constantFrom('ls', 'cd src', 'make test'),
        }),
        { minLength: 2, maxLength: 12 },
      ),
      order: fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
      chunk: fc.integer({ min: 1, max: 40 }),
      crashAfter: fc.nat({ max: 30 }),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ lines, order, chunk, crashAfter, seed }) => {
        // Per session, its lines' keys in order, each with whether it is part of a secret.
        const queues = new Map<string, Array<{ k: string; secret: boolean }>>();
        lines.forEach((l, i) => {
          const s = `s${l.session}`;
          const q = queues.get(s) ?? [];
          queues.set(s, q);
          for (const c of `${l.word} `) q.push({ k: c, secret: false });
          if (l.secret) for (const c of awsAccessKeyId(seededRng(seed + i))) q.push({ k: c, secret: true });
          q.push({ k: 'Enter', secret: false });
        });
        const msgs: InputMessage[] = [];
        const isSecret = new Map<string, boolean>();
        const sessions = [...queues.keys()];
        let pick = 0;
        while (sessions.length > 0) {
          const i = order[pick++ % order.length]! % sessions.length;
          const s = sessions[i]!;
          const next = queues.get(s)!.shift()!;
          const m = key(next.k, { session: s });
          msgs.push(m);
          isSecret.set(m.offset, next.secret);
          if (queues.get(s)!.length === 0) sessions.splice(i, 1);
        }
        const released: AnalysedRecord[] = [];
        let committed = BigInt(msgs[0]!.offset);
        let contextFrom: bigint | null = null; // what the pipeline commits as offset metadata
        const run = async (stopAfter: number) => {
          const hb = holdback();
          const from = contextFrom ?? committed;
          const contextBelow = committed;
          const todo = msgs.filter((m) => BigInt(m.offset) >= from);
          let chunks = 0;
          for (let i = 0; i < todo.length && chunks < stopAfter; i += chunk, chunks++) {
            await hb.ingest(await processor.analyse(todo.slice(i, i + chunk)), contextBelow);
            await hb.tick();
            const out = hb.releasable();
            if (out.length === 0) continue;
            released.push(...out);
            committed = BigInt(out[out.length - 1]!.p.msg.offset) + 1n;
            contextFrom = hb.contextFrom(out.length);
            hb.commitReleased(out.length);
          }
        };
        await run(crashAfter);
        await run(Number.MAX_SAFE_INTEGER);
        expect(released.map((a) => a.p.msg.offset)).toEqual(msgs.map((m) => m.offset));
        for (const a of released) {
          const v = processor.decideRecord(a).verdict;
          if (isSecret.get(a.p.msg.offset)) expect(v).toBe('quarantined');
        }
      }),
      { numRuns: 100 },
    );
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
    expect(unfinishedToken('card 41111111')).not.toBeNull(); // a number being typed
    expect(unfinishedToken('call +1(555)01')).not.toBeNull();
    expect(unfinishedToken('mail jane.doe@exa')).not.toBeNull();
    expect(unfinishedToken('room 12')).toBeNull(); // short numbers are just numbers
    expect(unfinishedToken('hello world')).toBeNull();
    expect(unfinishedToken('the build is green ')).toBeNull();
  });
});
