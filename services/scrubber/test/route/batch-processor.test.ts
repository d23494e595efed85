import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { decodeAvro, encodeAvro } from '../../src/codec/record-codec';
import { BatchProcessor, releaseBody, type InputMessage } from '../../src/route/batch-processor';
import { AvroValueCodec } from '../../src/route/avro-value-codec';
import { EnvelopeWriter, SchemaIds, payloadAad } from '../../src/quarantine/envelope-writer';
import { decryptPayload } from '../../src/quarantine/payload-cipher';
import type { Finding, RecordScanRequest, RecordScanResult, RecordScanner } from '../../src/scan/types';
import type { ResolvedSource } from '../../src/config/load-config';

const KEY = Buffer.alloc(32, 7);

/** A deterministic stand-in for the engine: finds fixed markers, so routing is tested alone. */
class MarkerScanner implements RecordScanner {
  readonly rulesetVersion = 'rs-test';
  async scanBatch(records: RecordScanRequest[]): Promise<RecordScanResult[]> {
    return records.map((r) => {
      if (r.texts.some((t) => t.text.includes('CRASH')))
        return { ok: false, code: 'SLUICE_WORKER_CRASHED', message: 'boom' };
      const findings = r.texts.map((t) => {
        const out: Finding[] = [];
        const add = (needle: string, action: 'redact' | 'quarantine', label: string) => {
          let i = t.text.indexOf(needle);
          while (i >= 0) {
            const fp = createHmac('sha256', KEY).update(needle).digest('hex');
            out.push({
              ruleId: label.toLowerCase(),
              category: action === 'redact' ? 'pii' : 'credential',
              action,
              shadow: false,
              label,
              start: i,
              end: i + needle.length,
              fingerprint: fp,
              preview: '…',
            });
            i = t.text.indexOf(needle, i + 1);
          }
        };
        add('a@b.co', 'redact', 'EMAIL');
        add('SECRETKEY', 'quarantine', 'KEY');
        return out;
      });
      return { ok: true, findings, scanNanos: 1 };
    });
  }
  async close(): Promise<void> {}
}

const registry = SchemaRegistry.load();
const { publicKey, privateKey } = generateKeyPairSync('x25519');
function source(kind: 'chat' | 'telemetry'): ResolvedSource {
  return {
    name: kind,
    topic: `raw.${kind}`,
    format: 'avro',
    kind,
    outputs: { clean: `clean.${kind}`, redacted: `redacted.${kind}`, quarantine: `quarantine.${kind}` },
  };
}
function processor(kind: 'chat' | 'telemetry' = 'chat', maxRecordBytes = 10_000) {
  const s = source(kind);
  return new BatchProcessor({
    source: s,
    codec: new AvroValueCodec(registry, s),
    scanner: new MarkerScanner(),
    envelopes: new EnvelopeWriter(registry, publicKey, 'k1', 'test'),
    fingerprintKey: KEY,
    maxRecordBytes,
    rulesetVersion: () => 'rs-test',
  });
}
function chat(text: string): Buffer {
  return encodeAvro(registry, 2, {
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
}
let offset = 0;
function msg(
  value: Buffer | null,
  key: string | null = 'c',
  headers: Record<string, string> = {},
): InputMessage {
  return {
    offset: String(offset++),
    timestamp: '1000',
    key: key === null ? null : Buffer.from(key),
    value,
    headers,
  };
}
const h = (headers: unknown, name: string) => (headers as Record<string, Buffer>)[name]?.toString();

describe('BatchProcessor', () => {
  test('context records (below contextBelow) are decoded for a hold-back, never scanned', async () => {
    // A record that crashes a scan worker was quarantined by the previous owner; re-read as
    // context after an owner change, it must not crash the workers again.
    const inputs = [msg(chat('CRASH the scanner')), msg(chat('hello'))];
    const out = await processor().analyse(inputs, { contextBelow: BigInt(inputs[1]!.offset) });
    expect(out[0]!.p.early).toBeNull();
    expect(out[0]!.findings).toBeNull();
    expect(out[0]!.p.texts.map((t) => t.text)).toContain('CRASH the scanner');
    expect(out[1]!.findings).not.toBeNull();
    // Scanned normally, the same record fails closed.
    const again = await processor().analyse([inputs[0]!]);
    expect(again[0]!.p.early?.reason).toBe('SLUICE_WORKER_CRASHED');
  });

  test('clean records keep their bytes, key and headers, plus sluice headers; order is kept', async () => {
    const inputs = [msg(chat('hello')), msg(chat('world'), 'k2', { trace: 't1' })];
    const out = await processor().process('raw.chat', 0, inputs);
    expect(out.outputs.map((o) => o.topic)).toEqual(['clean.chat', 'clean.chat']);
    expect(out.outputs[1]!.value!.equals(inputs[1]!.value!)).toBe(true);
    expect(out.outputs[1]!.key!.toString()).toBe('k2');
    expect(h(out.outputs[1]!.headers, 'trace')).toBe('t1');
    expect(h(out.outputs[1]!.headers, 'sluice-verdict')).toBe('clean');
    expect(h(out.outputs[1]!.headers, 'sluice-source')).toBe(`raw.chat/0/${inputs[1]!.offset}`);
    expect(out.outputs.every((o) => o.partition === 0)).toBe(true);
  });

  test('a finding in the value is replaced in place and the record re-encoded with its schema', async () => {
    const out = await processor().process('raw.chat', 2, [msg(chat('mail a@b.co now'))]);
    const o = out.outputs[0]!;
    expect(o.topic).toBe('redacted.chat');
    expect(o.partition).toBe(2);
    const text = (decodeAvro(registry, o.value!).value as { text: string }).text;
    expect(text).toMatch(/^mail \[EMAIL:[0-9a-f]{8}\] now$/);
    expect(o.value!.includes('a@b.co')).toBe(false);
  });

  test('keys and header values are scanned and redacted too', async () => {
    const out = await processor().process('raw.chat', 0, [msg(chat('hi'), 'a@b.co', { 'x-user': 'a@b.co' })]);
    const o = out.outputs[0]!;
    expect(o.topic).toBe('redacted.chat');
    expect(o.key!.toString()).toMatch(/^\[EMAIL:[0-9a-f]{8}\]$/);
    expect(h(o.headers, 'x-user')).toMatch(/^\[EMAIL:/);
  });

  test('quarantine carries the original encrypted, decryptable only with the private key', async () => {
    const input = msg(chat('SECRETKEY here'), 'c', { trace: 't' });
    const out = await processor().process('raw.chat', 1, [input]);
    const o = out.outputs[0]!;
    expect(o.topic).toBe('quarantine.chat');
    expect(o.value!.includes('SECRETKEY')).toBe(false);
    expect(h(o.headers, 'trace')).toBeUndefined();
    const env = decodeAvro(registry, o.value!).value as {
      reason: string;
      findings: Array<{ ruleId: string; fieldPath: string }>;
      payload: { 'io.sluice.EncryptedPayload': Parameters<typeof decryptPayload>[1] };
    };
    expect(env.reason).toBe('SLUICE_FINDING_QUARANTINE');
    expect(env.findings[0]).toMatchObject({ ruleId: 'key', fieldPath: 'value.text' });
    const plain = decryptPayload(
      privateKey,
      env.payload['io.sluice.EncryptedPayload'],
      payloadAad(SchemaIds.quarantinedRecord, 'raw.chat', 1, input.offset),
    );
    const original = decodeAvro(registry, plain).value as {
      key: Buffer;
      value: Buffer;
      headers: Array<{ key: string; value: Buffer }>;
    };
    expect(original.value.equals(input.value!)).toBe(true);
    expect(original.key.toString()).toBe('c');
    expect(original.headers).toEqual([{ key: 'trace', value: Buffer.from('t') }]);
  });

  test('a record the scanner could not scan fails closed with its code', async () => {
    const out = await processor().process('raw.chat', 0, [msg(chat('CRASH')), msg(chat('fine'))]);
    expect(out.outcomes.map((o) => [o.decision.verdict, o.decision.reason])).toEqual([
      ['quarantined', 'SLUICE_WORKER_CRASHED'],
      ['clean', null],
    ]);
  });

  test('undecodable, too large and password-field records are quarantined with reasons', async () => {
    const tele = encodeAvro(registry, 1, {
      eventId: 'e',
      device: 'd',
      session: 's',
      seq: 1,
      timestampMs: 1,
      app: null,
      window: null,
      field: { id: 'pw', kind: 'PASSWORD', sensitive: false },
      body: { 'io.sluice.KeyEvent': { key: 'x', code: null, modifiers: [], repeat: false } },
    });
    const t = await processor('telemetry').process('raw.telemetry', 0, [msg(tele)]);
    expect(t.outcomes[0]!.decision.reason).toBe('SLUICE_PASSWORD_FIELD');
    const big = await processor('chat', 100).process('raw.chat', 0, [
      msg(chat('x'.repeat(500))),
      msg(Buffer.from('nope')),
    ]);
    expect(big.outcomes.map((o) => o.decision.reason)).toEqual(['SLUICE_TOO_LARGE', 'SLUICE_DECODE_FAILED']);
    const env = decodeAvro(registry, big.outputs[0]!.value!).value as {
      payload: Record<string, { sizeBytes: number; sha256: string }>;
    };
    expect(env.payload['io.sluice.PayloadReference']!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an incoming sluice-* header cannot forge a verdict downstream', async () => {
    const out = await processor().process('raw.chat', 0, [
      msg(chat('SECRETKEY'), 'c', { 'sluice-verdict': 'clean' }),
    ]);
    expect(h(out.outputs[0]!.headers, 'sluice-verdict')).toBe('quarantined');
  });

  test('redaction that grows a record past the limit fails closed', async () => {
    const text = 'a@b.co '.repeat(40);
    const value = chat(text);
    const out = await processor('chat', value.length + 20).process('raw.chat', 0, [msg(value, null)]);
    expect(out.outcomes[0]!.decision).toMatchObject({ verdict: 'quarantined', reason: 'SLUICE_TOO_LARGE' });
  });

  test('a released body is decoded again for a later finding; if that fails, the record fails closed', async () => {
    const s = source('chat');
    const codec = new AvroValueCodec(registry, s);
    let failDecode = false;
    const decode = codec.decode.bind(codec);
    codec.decode = (buf) => {
      if (failDecode) throw new Error('codec broke');
      return decode(buf);
    };
    const p = new BatchProcessor({
      source: s,
      codec,
      scanner: new MarkerScanner(),
      envelopes: new EnvelopeWriter(registry, publicKey, 'k1', 'test'),
      fingerprintKey: KEY,
      maxRecordBytes: 10_000,
      rulesetVersion: () => 'rs-test',
    });
    const seamFinding = (textIndex: number) => ({
      ruleId: 'email',
      category: 'pii' as const,
      action: 'redact' as const,
      shadow: false,
      label: 'EMAIL',
      start: 0,
      end: 5,
      fingerprint: 'f',
      preview: '…',
      path: 'value.text',
      textIndex,
    });
    for (const broken of [false, true]) {
      const [a] = await p.analyse([msg(chat('hello there'))]);
      const leaf = a!.p.texts.findIndex((t) => t.path === 'value.text');
      expect(releaseBody(a!)).toBe(true);
      expect(releaseBody(a!)).toBe(false); // once
      expect(p.decideRecord(a!).verdict).toBe('clean'); // no finding: nothing decoded again
      expect(a!.p.bodyReleased).toBe(true);
      a!.extra.push(seamFinding(leaf));
      failDecode = broken;
      const out = p.finish('raw.chat', 0, [a!]);
      failDecode = false;
      if (!broken) {
        expect(out.outputs[0]!.topic).toBe('redacted.chat');
        expect((decodeAvro(registry, out.outputs[0]!.value!).value as { text: string }).text).toMatch(
          /^\[EMAIL/,
        );
      } else {
        expect(out.outputs[0]!.topic).toBe('quarantine.chat');
        expect(out.outcomes[0]!.decision.reason).toBe('SLUICE_DECODE_FAILED');
      }
    }
  });
});
