// Secrets typed one key per event, against the real broker and the real scrubber process:
// no key of a typed secret may reach clean, through a SIGKILL in the middle of a held secret
// and through a consumer-group rebalance; everything else is clean, exactly once.
import { expandAudit } from '../support/audit';
import { randomUUID } from 'node:crypto';
import { Cleanup, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { checkExactlyOnce, indexOutputs, summarise } from '../support/invariants';
import { encodeAvro } from '../../services/scrubber/src/codec/record-codec';
import type { GeneratedRecord } from '../../services/scrubber/src/demo/traffic-generator';
import {
  awsAccessKeyId,
  cardNumber,
  emailAddress,
  githubToken,
  seededRng,
} from '../../services/scrubber/src/demo/synthetic-secrets';

jest.setTimeout(300_000);

type Expect = GeneratedRecord['expect'];
const CLEAN: Expect = { verdict: 'clean', secrets: [], why: 'typed text' };

interface Line {
  device: string;
  session: string;
  field: { id: string; kind: string; sensitive: boolean };
  /** [text, expectation] pieces, typed in order, then Enter. */
  pieces: Array<[string, Expect]>;
}

function keyEvent(
  fx: PipelineFixture,
  line: Line,
  key: string,
  expect: Expect,
  seq: number,
): GeneratedRecord {
  const value = encodeAvro(fx.registry, 1, {
    eventId: randomUUID(),
    device: line.device,
    session: line.session,
    seq,
    timestampMs: Date.now(),
    app: 'com.apple.Terminal',
    window: null,
    field: line.field,
    body: { 'io.sluice.KeyEvent': { key, code: null, modifiers: [], repeat: false } },
  });
  return { key: Buffer.from(`${line.device}/${line.session}`), value, headers: {}, expect };
}

/** Events of every line, split in two phases: the second starts in the middle of each secret. */
function typedSessions(fx: PipelineFixture): {
  phase1: GeneratedRecord[];
  phase2: GeneratedRecord[];
  secretEvents: number;
} {
  const rng = seededRng(99);
  const q = (why: string): Expect => ({ verdict: 'quarantined', secrets: [], why });
  const r = (why: string): Expect => ({ verdict: 'redacted', secrets: [], why });
  const term = { id: 'terminal', kind: 'TERMINAL', sensitive: false };
  const lines: Line[] = [];
  for (let i = 0; i < 3; i++) {
    lines.push({
      device: `laptop-${i}`,
      session: 'a',
      field: term,
      pieces: [
        ['aws configure set aws_access_key_id ', CLEAN],
        [awsAccessKeyId(rng), q('typed aws key')],
      ],
    });
    lines.push({
      device: `laptop-${i}`,
      session: 'b',
      field: term,
      pieces: [
        ['export GITHUB_TOKEN=', CLEAN],
        [githubToken(rng), q('typed github token')],
      ],
    });
    lines.push({
      device: `laptop-${i}`,
      session: 'c',
      field: { id: 'checkout-card', kind: 'NUMBER', sensitive: false },
      pieces: [
        ['card ', CLEAN],
        [cardNumber(rng).replace(/ /g, ''), r('typed card')],
      ],
    });
    lines.push({
      device: `laptop-${i}`,
      session: 'd',
      field: { id: 'to', kind: 'EMAIL', sensitive: false },
      pieces: [
        ['mail ', CLEAN],
        [emailAddress(rng), r('typed email')],
      ],
    });
    lines.push({
      device: `laptop-${i}`,
      session: 'e',
      field: { id: 'login-pw', kind: 'PASSWORD', sensitive: true },
      pieces: [['correct horse battery staple', q('password field')]],
    });
    lines.push({
      device: `laptop-${i}`,
      session: 'f',
      field: term,
      pieces: [['git status && npm test', CLEAN]],
    });
  }
  // Interleave the lines key by key, as several people typing at once would.
  const streams = lines.map((line) => {
    const keys: Array<[string, Expect]> = [];
    for (const [text, e] of line.pieces) for (const ch of text) keys.push([ch, e]);
    keys.push(['Enter', line.field.kind === 'PASSWORD' ? q('password field') : CLEAN]);
    // Phase 2 starts halfway into the last piece (the secret, when there is one).
    const lastLen = line.pieces[line.pieces.length - 1]![0].length;
    const cut = keys.length - 1 - Math.floor(lastLen / 2);
    return { line, keys, cut, pos: 0, seq: 0 };
  });
  const phase1: GeneratedRecord[] = [];
  const phase2: GeneratedRecord[] = [];
  let secretEvents = 0;
  for (const target of [phase1, phase2]) {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const s of streams) {
        const end = target === phase1 ? s.cut : s.keys.length;
        if (s.pos >= end) continue;
        const [k, e] = s.keys[s.pos++]!;
        if (e.verdict !== 'clean') secretEvents++;
        target.push(keyEvent(fx, s.line, k, e, s.seq++));
        progressed = true;
      }
    }
  }
  return { phase1, phase2, secretEvents };
}

async function heldEvents(p: ScrubberProcess): Promise<number> {
  const text = await p.metrics();
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('sluice_keystroke_held_events{')) n += Number(line.split(' ').pop());
  return n;
}

function verdictErrors(fx: PipelineFixture, index: ReturnType<typeof indexOutputs>): string[] {
  const wrong: string[] = [];
  for (const [coord, list] of index.bySource) {
    const want = fx.expectations.get(coord);
    if (want && list[0]!.verdict !== want.verdict)
      wrong.push(`${coord}: want ${want.verdict} (${want.why}) got ${list[0]!.verdict}`);
  }
  return wrong;
}

describe('keystroke reassembly', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  const holdConfig = (fx: PipelineFixture) =>
    fx.config({
      // Held secrets stay held across the kill: only Enter (a boundary) settles these runs.
      keystrokes: { idleGapMs: 120_000, maxHoldMs: 240_000 },
      group: {
        id: `sluice-${fx.id}`,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 300,
        partitionsConsumedConcurrently: 3,
      },
    });

  test('SIGKILL while secrets are held: no key of a secret reaches clean, nothing lost or duplicated', async () => {
    const fx = new PipelineFixture(cleanup, 3);
    await fx.createRawTopics();
    const { phase1, phase2, secretEvents } = typedSessions(fx);
    await fx.produceGenerated(fx.topics.rawTelemetry, phase1);

    const first = new ScrubberProcess({ config: holdConfig(fx), keys: fx.keys });
    cleanup.defer('kill first', () => first.kill());
    await first.start();
    // Every line is unfinished: its events are held, none released yet.
    await waitFor(async () => (await heldEvents(first)) >= phase1.length * 0.9, {
      what: 'phase-1 keys held',
      deadlineMs: 60_000,
    });
    await first.kill();

    await fx.produceGenerated(fx.topics.rawTelemetry, phase2);
    const second = new ScrubberProcess({ config: holdConfig(fx), keys: fx.keys });
    cleanup.defer('kill second', () => second.kill());
    await second.start();
    const total = fx.inputs.length;
    const { outputs, audit } = await fx.readOutputs(total, 120_000);
    expect(await second.stop()).toBe(0);

    const index = indexOutputs(outputs);
    const report = checkExactlyOnce(fx.inputs, index);
    process.stdout.write(`keystrokes/kill: ${summarise(report)} secret-events=${secretEvents}\n`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(expandAudit(fx.registry, audit).byCoord.size).toBe(total);
    expect(verdictErrors(fx, index)).toEqual([]);
    expect(report.byVerdict.redacted + report.byVerdict.quarantined).toBe(secretEvents);
  });

  test('a second instance joining mid-secret (rebalance): still no key in clean, exactly once', async () => {
    const fx = new PipelineFixture(cleanup, 4);
    await fx.createRawTopics();
    const { phase1, phase2, secretEvents } = typedSessions(fx);
    await fx.produceGenerated(fx.topics.rawTelemetry, phase1);

    const a = new ScrubberProcess({ config: holdConfig(fx), keys: fx.keys });
    cleanup.defer('kill a', () => a.kill());
    await a.start();
    await waitFor(async () => (await heldEvents(a)) >= phase1.length * 0.9, {
      what: 'phase-1 keys held by a',
      deadlineMs: 60_000,
    });

    const b = new ScrubberProcess({ config: holdConfig(fx), keys: fx.keys });
    cleanup.defer('kill b', () => b.kill());
    await b.start();
    // After the rebalance some partitions moved to b, which rebuilds their held text from the
    // committed offsets; a keeps the rest.
    await waitFor(async () => (await heldEvents(b)) > 0, {
      what: 'b to rebuild held keys of its partitions',
      deadlineMs: 60_000,
    });
    await fx.produceGenerated(fx.topics.rawTelemetry, phase2);
    const total = fx.inputs.length;
    const { outputs, audit } = await fx.readOutputs(total, 120_000);
    await b.stop();
    await a.stop();

    const index = indexOutputs(outputs);
    const report = checkExactlyOnce(fx.inputs, index);
    process.stdout.write(`keystrokes/rebalance: ${summarise(report)} secret-events=${secretEvents}\n`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(expandAudit(fx.registry, audit).byCoord.size).toBe(total);
    expect(verdictErrors(fx, index)).toEqual([]);
  });
});
