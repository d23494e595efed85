// Fail closed, against the real broker and the real scrubber process: every kind of bad input
// lands in quarantine with its reason code, never in clean; tombstones and every compression
// codec on the input side pass.
import { CompressionTypes, Partitioners, type Message } from 'kafkajs';
import { Cleanup, consumeAll } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { headerString } from '../support/invariants';
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';
import { chatValue } from '../support/integrity/records';
import { registerCompressionCodecs } from '../../services/scrubber/src/kafka/compression';
import { luhnDigit } from '../../services/scrubber/src/demo/synthetic-secrets';

jest.setTimeout(300_000);

function chat(fx: PipelineFixture, text: string, extra: Record<string, unknown> = {}): Buffer {
  return chatValue(fx.registry, text, { conversationId: 'conv-fc', ...extra });
}

describe('fail closed', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('bad input is quarantined with a reason; tombstones and all codecs pass', async () => {
    registerCompressionCodecs();
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();

    const valid = chat(fx, 'hello world ZZZZ and more');
    const badUtf8 = Buffer.from(valid);
    const z = badUtf8.indexOf('ZZZZ');
    badUtf8[z] = 0xff;
    badUtf8[z + 1] = 0xfe;
    const cardBody = '453914880343646'.slice(0, 15);
    const cardAsLong = Number(cardBody + String(luhnDigit(cardBody)));
    const cases: Array<{ id: string; value: Buffer | null; want: string; reason?: string }> = [
      {
        id: 'garbage',
        value: Buffer.from('this is not avro at all'),
        want: 'quarantined',
        reason: 'SLUICE_DECODE_FAILED',
      },
      {
        id: 'unknown-schema',
        value: Buffer.concat([Buffer.from([0, 0, 0, 3, 0xe7]), valid.subarray(5)]),
        want: 'quarantined',
        reason: 'SLUICE_UNKNOWN_SCHEMA',
      },
      {
        id: 'truncated',
        value: valid.subarray(0, Math.floor(valid.length / 2)),
        want: 'quarantined',
        reason: 'SLUICE_DECODE_FAILED',
      },
      {
        id: 'trailing-bytes',
        value: Buffer.concat([valid, Buffer.from([1, 2, 3])]),
        want: 'quarantined',
        reason: 'SLUICE_DECODE_FAILED',
      },
      { id: 'invalid-utf8', value: badUtf8, want: 'quarantined', reason: 'SLUICE_INVALID_UTF8' },
      {
        id: 'card-in-long',
        value: chat(fx, 'see attachment', {
          attachments: [{ name: 'invoice.pdf', mime: 'application/pdf', sizeBytes: cardAsLong, text: null }],
        }),
        want: 'quarantined',
        reason: 'SLUICE_UNREDACTABLE_FIELD',
      },
      {
        id: 'too-large',
        value: chat(fx, 'x'.repeat(2 * 1024 * 1024)),
        want: 'quarantined',
        reason: 'SLUICE_TOO_LARGE',
      },
      { id: 'tombstone', value: null, want: 'clean' },
      { id: 'valid', value: valid, want: 'clean' },
    ];
    const producer = fx.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cleanup.defer('producer', () => producer.disconnect());
    for (const c of cases) {
      await producer.send({
        topic: fx.topics.rawChat,
        acks: -1,
        messages: [{ key: `case-${c.id}`, value: c.value, headers: { 'x-case': c.id } }],
      });
    }
    const codecs = [
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
    ];
    const codecNames = ['gzip', 'snappy', 'lz4', 'zstd'];
    for (let i = 0; i < codecs.length; i++) {
      const messages: Message[] = [];
      for (let j = 0; j < 20; j++)
        messages.push({
          key: `codec-${codecNames[i]}`,
          value: chat(fx, `compressed batch ${codecNames[i]} message ${j} plain words`),
          headers: { 'x-case': `codec-${codecNames[i]}` },
        });
      await producer.send({ topic: fx.topics.rawChat, acks: -1, compression: codecs[i]!, messages });
    }
    const total = cases.length + codecs.length * 20;

    const scrubber = new ScrubberProcess({ config: fx.config(), keys: fx.keys });
    cleanup.defer('scrubber', () => scrubber.kill());
    await scrubber.start();
    const chatOut = [`clean.chat.${fx.id}`, `redacted.chat.${fx.id}`, `quarantine.chat.${fx.id}`];
    const out = await consumeAll(fx.kafka, { topics: chatOut, expectedCount: total, deadlineMs: 120_000 });
    expect(out).toHaveLength(total);
    const rawByOffset = await consumeAll(fx.kafka, { topics: [fx.topics.rawChat], expectedCount: total });
    const caseOf = new Map(
      rawByOffset.map((m) => [`${m.topic}/${m.partition}/${m.offset}`, headerString(m, 'x-case')!]),
    );

    const got = new Map<string, { verdict: string; reason: string | null; value: Buffer | null }[]>();
    for (const m of out) {
      const id = caseOf.get(headerString(m, 'sluice-source')!)!;
      const list = got.get(id) ?? [];
      list.push({
        verdict: headerString(m, 'sluice-verdict')!,
        reason: headerString(m, 'sluice-reason'),
        value: m.value,
      });
      got.set(id, list);
    }
    for (const c of cases) {
      const g = got.get(c.id);
      expect({ id: c.id, verdict: g?.[0]?.verdict, reason: g?.[0]?.reason ?? undefined }).toEqual({
        id: c.id,
        verdict: c.want,
        reason: c.reason,
      });
    }
    // A tombstone stays a tombstone.
    expect(got.get('tombstone')![0]!.value).toBeNull();
    // The too-large record went by reference: SHA-256 and size, no ciphertext.
    const big = decodeAvro(fx.registry, got.get('too-large')![0]!.value!).value as {
      payload: Record<string, { sha256?: string; sizeBytes?: number }>;
    };
    const ref = big.payload['io.sluice.PayloadReference']!;
    expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ref.sizeBytes).toBeGreaterThan(2 * 1024 * 1024);
    for (const name of codecNames) {
      const list = got.get(`codec-${name}`) ?? [];
      expect({ name, n: list.length, clean: list.filter((x) => x.verdict === 'clean').length }).toEqual({
        name,
        n: 20,
        clean: 20,
      });
    }
    expect(await scrubber.stop()).toBe(0);
  });
});
