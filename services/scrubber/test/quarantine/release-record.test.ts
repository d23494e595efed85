import { SchemaRegistry } from '../../src/codec/schema-registry';
import { decodeAvro, encodeAvro } from '../../src/codec/record-codec';
import {
  matches,
  parseCoordinates,
  releasedRecord,
  type QuarantineEnvelope,
} from '../../src/quarantine/quarantine-review';
import type { ResolvedSource } from '../../src/config/load-config';

const registry = SchemaRegistry.load();
const source: ResolvedSource = {
  name: 'chat',
  topic: 'raw.chat',
  format: 'avro',
  kind: 'chat',
  outputs: { clean: 'clean.chat', redacted: 'redacted.chat', quarantine: 'quarantine.chat' },
};
const text = 'mail bob@example.com now';
const value = encodeAvro(registry, 2, {
  conversationId: 'c',
  messageId: 'm',
  sender: 's',
  senderDisplay: null,
  visibility: 'INTERNAL',
  sentAtMs: 1,
  text,
  attachments: [],
  metadata: {},
});
const fp = 'ab'.repeat(32);
const envelope: QuarantineEnvelope = {
  envelopeVersion: 1,
  source: { topic: 'raw.chat', partition: 1, offset: 7, timestampMs: 1000, keyFingerprint: null },
  reason: 'SLUICE_FINDING_QUARANTINE',
  detail: null,
  findings: [
    {
      ruleId: 'email',
      category: 'pii',
      action: 'quarantine',
      fieldPath: 'value.text',
      start: 5,
      end: 20,
      fingerprint: fp,
      preview: 'bob@…com',
      label: 'EMAIL',
    },
  ],
  rulesetVersion: 'rs-1',
  instanceId: 'i',
  payload: {},
  decidedAtMs: 5000,
  envelopeId: 'e',
  dataKeyTopic: null,
};
const opened = {
  key: Buffer.from('conv'),
  value,
  headers: [
    { key: 'trace', value: Buffer.from('t1') },
    { key: 'sluice-verdict', value: Buffer.from('clean') },
  ],
  timestampMs: 1000,
};
const h = (hs: unknown, n: string) => (hs as Record<string, Buffer>)[n]?.toString();

describe('released record', () => {
  test('clean: the original bytes and key, original headers, sluice headers naming the release', () => {
    const r = releasedRecord(registry, source, envelope, opened, 'clean', 'alice');
    expect(r.value!.equals(value)).toBe(true);
    expect(r.key!.toString()).toBe('conv');
    expect(h(r.headers, 'trace')).toBe('t1');
    expect(h(r.headers, 'sluice-verdict')).toBe('clean');
    expect(h(r.headers, 'sluice-source')).toBe('raw.chat/1/7');
    expect(h(r.headers, 'sluice-released-by')).toBe('alice');
    expect(h(r.headers, 'sluice-reason')).toBe('SLUICE_RELEASED');
  });

  test('redacted: each finding replaced by the placeholder the scrubber writes, nothing of the value left', () => {
    const r = releasedRecord(registry, source, envelope, opened, 'redacted', 'alice');
    const out = (decodeAvro(registry, r.value!).value as { text: string }).text;
    expect(out).toBe(`mail [EMAIL:${fp.slice(0, 8)}] now`);
    expect(r.value!.includes('bob@example.com')).toBe(false);
    expect(h(r.headers, 'sluice-verdict')).toBe('redacted');
  });

  test('filters and ids', () => {
    expect(matches(envelope, { rule: 'email', category: 'pii', sinceMs: 4000, untilMs: 6000 })).toBe(true);
    expect(matches(envelope, { rule: 'aws' })).toBe(false);
    expect(matches(envelope, { sinceMs: 6000 })).toBe(false);
    expect(matches(envelope, { reason: 'SLUICE_DECODE_FAILED' })).toBe(false);
    expect(parseCoordinates('quarantine.chat.x/2/15')).toEqual({
      topic: 'quarantine.chat.x',
      partition: 2,
      offset: '15',
    });
    expect(() => parseCoordinates('nope')).toThrow(/topic\/partition\/offset/);
  });
});
