// Chat windows across an owner change, against the real broker and the real scrubber process
// (issue 4, item 5): "the prod db password is" goes out (clean) and is committed, the scrubber is
// SIGKILLed, then the value arrives in the next message of the conversation. The new owner
// re-reads the last `chat.contextRecords` records before its committed offset as context only
// (never emitted again), so the value is still caught; with contextRecords 0 it is not, which is
// what the first test would miss if the re-read did nothing.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Cleanup } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { checkExactlyOnce, checkVerdicts, indexOutputs, summarise } from '../support/invariants';
import { expandAudit } from '../support/audit';
import { encodeAvro } from '../../services/scrubber/src/codec/record-codec';
import type { GeneratedRecord } from '../../services/scrubber/src/demo/traffic-generator';

jest.setTimeout(180_000);

type Expect = GeneratedRecord['expect'];
const CLEAN: Expect = { verdict: 'clean', secrets: [], why: 'plain chat' };

function chat(fx: PipelineFixture, conversation: string, text: string, expect: Expect): GeneratedRecord {
  const value = encodeAvro(fx.registry, 2, {
    conversationId: conversation,
    messageId: randomUUID(),
    sender: 'u1',
    senderDisplay: null,
    visibility: 'DIRECT',
    sentAtMs: Date.now(),
    text,
    attachments: [],
    metadata: {},
  });
  return { key: Buffer.from(conversation), value, headers: {}, expect };
}

describe('chat window across a restart', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function run(contextRecords: number, valueExpect: Expect) {
    // One partition: every conversation shares it, so the fillers sit between context and value.
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    const config = fx.config({ chat: { holdMs: 300, contextRecords } });
    const before = [chat(fx, 'c-ops', 'the prod db password is', CLEAN)];
    for (let i = 0; i < 5; i++) before.push(chat(fx, `c-${i}`, `lunch at ${i + 11}?`, CLEAN));
    await fx.produceGenerated(fx.topics.rawChat, before);

    const first = new ScrubberProcess({ config, keys: fx.keys });
    cleanup.defer('kill first', () => first.kill());
    await first.start();
    // Everything so far is out and committed (the first message waited its holdMs, then went).
    await fx.readOutputs(fx.inputs.length, 60_000);
    await first.kill();

    await fx.produceGenerated(fx.topics.rawChat, [
      chat(fx, 'c-ops', 'Xk9#pL2vQ8zzW', valueExpect),
      chat(fx, 'c-0', 'sure, see you there', CLEAN),
    ]);
    const second = new ScrubberProcess({ config, keys: fx.keys });
    cleanup.defer('kill second', () => second.kill());
    await second.start();
    const total = fx.inputs.length;
    const { outputs, audit } = await fx.readOutputs(total, 60_000);
    expect(await second.stop()).toBe(0);

    const index = indexOutputs(outputs);
    const report = checkExactlyOnce(fx.inputs, index);
    process.stdout.write(`chat-context(${contextRecords}): ${summarise(report)}\n`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(expandAudit(fx.registry, audit).byCoord.size).toBe(total);
    expect(checkVerdicts(index, fx.expectations)).toEqual([]);
    return { log: readFileSync(second.logFile, 'utf8') };
  }

  test('the value after a SIGKILL is caught: the new owner re-reads the context, emits nothing twice', async () => {
    const { log } = await run(1000, { verdict: 'quarantined', secrets: [], why: 'password after context' });
    expect(log).toContain('re-reading hold-back context emitted by the previous owner');
  });

  test('control: with contextRecords 0 the value alone is not recognised', async () => {
    await run(0, { verdict: 'clean', secrets: [], why: 'no context: the value alone is plain text' });
  });
});
