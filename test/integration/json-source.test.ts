// A JSON-encoded source (`format: json`, per source) through the real scrubber process and broker:
// clean records keep their bytes, redacted ones stay JSON of the same schema with placeholders,
// credentials and JSON that does not match the schema are quarantined with their reason.
import { Cleanup, consumeAll, produce } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { headerString } from '../support/invariants';
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';

jest.setTimeout(180_000);

const chat = (text: string, extra: Record<string, unknown> = {}) => ({
  conversationId: 'conv-json',
  messageId: `m-${text.length}-${text.slice(0, 6)}`,
  sender: 'user-7',
  senderDisplay: null,
  visibility: 'INTERNAL',
  sentAtMs: 1_796_000_000_000,
  text,
  attachments: [],
  metadata: {},
  ...extra,
});

describe('JSON source', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('clean keeps bytes, redacted stays schema JSON, bad JSON and credentials are quarantined', async () => {
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    const s = fx.id;
    const outputs = {
      clean: `clean.chat.${s}`,
      redacted: `redacted.chat.${s}`,
      quarantine: `quarantine.chat.${s}`,
    };
    const email = 'dana.whitfield@acme-corp.io';
    const inputs: Array<{
      name: string;
      value: Buffer;
      want: 'clean' | 'redacted' | 'quarantined';
      reason?: string;
    }> = [
      { name: 'plain', value: Buffer.from(JSON.stringify(chat('lunch at noon?'))), want: 'clean' },
      {
        name: 'email',
        value: Buffer.from(JSON.stringify(chat(`write to ${email} about it`))),
        want: 'redacted',
      },
      {
        name: 'aws key',
        value: Buffer.from(JSON.stringify(chat('aws_access_key_id = AKIAGGAKJSDFV6GUMRZD'))),
        want: 'quarantined',
        reason: 'SLUICE_FINDING_QUARANTINE',
      },
      {
        name: 'not json',
        value: Buffer.from('{"conversationId": '),
        want: 'quarantined',
        reason: 'SLUICE_DECODE_FAILED',
      },
      {
        name: 'undeclared field',
        value: Buffer.from(JSON.stringify({ ...chat('hi'), hidden: 'AKIAGGAKJSDFV6GUMRZD' })),
        want: 'quarantined',
        reason: 'SLUICE_DECODE_FAILED',
      },
    ];
    await produce(
      fx.kafka,
      fx.topics.rawChat,
      inputs.map((i) => ({ key: 'conv-json', value: i.value })),
    );

    const config = fx.config({
      sources: [
        { name: 'chat', topic: fx.topics.rawChat, kind: 'chat', format: 'json', jsonSchemaId: 2, outputs },
      ],
    });
    const scrubber = new ScrubberProcess({ config, keys: fx.keys });
    cleanup.defer('stop scrubber', () => scrubber.kill());
    await scrubber.start();
    const out = await consumeAll(fx.kafka, {
      topics: [outputs.clean, outputs.redacted, outputs.quarantine],
      expectedCount: inputs.length,
      settleMs: 1000,
      deadlineMs: 90_000,
    });
    expect(await scrubber.stop()).toBe(0);
    expect(out).toHaveLength(inputs.length);

    const bySource = new Map(out.map((m) => [Number(headerString(m, 'sluice-source')!.split('/').pop()), m]));
    inputs.forEach((input, offset) => {
      const m = bySource.get(offset)!;
      expect({ name: input.name, verdict: headerString(m, 'sluice-verdict') }).toEqual({
        name: input.name,
        verdict: input.want,
      });
      if (input.want === 'clean') expect(m.value).toEqual(input.value);
      if (input.want === 'redacted') {
        const v = JSON.parse(m.value!.toString('utf8')) as { text: string; sender: string };
        expect(v.text).toMatch(/^write to \[EMAIL:[0-9a-f]{8}\] about it$/);
        expect(v.sender).toBe('user-7');
        expect(m.value!.toString('utf8')).not.toContain(email);
      }
      if (input.want === 'quarantined') {
        const env = decodeAvro(fx.registry, m.value!).value as { reason: string };
        expect({ name: input.name, reason: env.reason }).toEqual({ name: input.name, reason: input.reason });
      }
    });
  });
});
