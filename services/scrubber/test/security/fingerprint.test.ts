// Keyed fingerprints (issue 6, item 3): the same value gives the same fingerprint on every
// instance that holds the same key (security counts repeats and finds every record that carried
// one leaked key), and a different one under another key (a fingerprint is useless without it).
import { createHmac } from 'node:crypto';
import { ScanEngine } from '../../src/scan/engine';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { encodeAvro } from '../../src/codec/record-codec';
import { BatchProcessor } from '../../src/route/batch-processor';
import { AvroValueCodec } from '../../src/route/avro-value-codec';
import { EnvelopeWriter } from '../../src/quarantine/envelope-writer';
import type { RecordScanner, RecordScanRequest, RecordScanResult } from '../../src/scan/types';
import type { ResolvedSource } from '../../src/config/load-config';
import { generateKeyPairSync } from 'node:crypto';
import { AWS_ID, CARD, GHP, STARTER } from '../scan/support/engine';

const KEY_A = Buffer.alloc(32, 0x11);
const KEY_B = Buffer.alloc(32, 0x22);
const engine = (key: Buffer) =>
  ScanEngine.create({ includeBuiltin: false, ruleFiles: [STARTER], fingerprintKey: Buffer.from(key) });

function fingerprints(e: ScanEngine, text: string): Map<string, string> {
  return new Map(e.scanText(text).map((f) => [f.ruleId, f.fingerprint]));
}

describe('keyed fingerprints across instances', () => {
  const text = `aws ${AWS_ID} token ${GHP} card ${CARD}`;

  test('two engine instances with the same key agree, value by value; another key disagrees', () => {
    const a1 = fingerprints(engine(KEY_A), text);
    const a2 = fingerprints(engine(KEY_A), `other context first... ${text}`);
    const b = fingerprints(engine(KEY_B), text);
    expect(a1.size).toBeGreaterThanOrEqual(3);
    for (const [rule, fp] of a1) {
      expect(fp).toMatch(/^[0-9a-f]{64}$/);
      expect(a2.get(rule)).toBe(fp);
      expect(b.get(rule)).toBeDefined();
      expect(b.get(rule)).not.toBe(fp);
    }
    // It is the documented HMAC-SHA-256 of the value: reproducible by security with the key.
    expect(a1.get('aws-access-key-id')).toBe(createHmac('sha256', KEY_A).update(AWS_ID).digest('hex'));
  });

  test('two batch processors (separate instances) fingerprint the record key the same way under one key', async () => {
    const registry = SchemaRegistry.load();
    const source: ResolvedSource = {
      name: 'chat',
      topic: 'raw.chat',
      format: 'avro',
      kind: 'chat',
      outputs: { clean: 'c', redacted: 'r', quarantine: 'q' },
    };
    const scanner = (e: ScanEngine): RecordScanner => ({
      rulesetVersion: e.rulesetVersion,
      scanBatch: async (reqs: RecordScanRequest[]): Promise<RecordScanResult[]> =>
        reqs.map((r) => ({ ok: true, findings: r.texts.map((t) => e.scanText(t.text)), scanNanos: 1 })),
      close: async () => undefined,
    });
    const { publicKey } = generateKeyPairSync('x25519');
    const make = (key: Buffer) => {
      const e = engine(key);
      return new BatchProcessor({
        source,
        codec: new AvroValueCodec(registry, source),
        scanner: scanner(e),
        envelopes: new EnvelopeWriter(registry, publicKey, 'k', 'i'),
        fingerprintKey: key,
        maxRecordBytes: 100_000,
        rulesetVersion: () => e.rulesetVersion,
      });
    };
    const value = encodeAvro(registry, 2, {
      conversationId: 'c',
      messageId: 'm',
      sender: 's',
      senderDisplay: null,
      visibility: 'INTERNAL',
      sentAtMs: 1,
      text: `key ${AWS_ID}`,
      attachments: [],
      metadata: {},
    });
    const msg = { offset: '0', timestamp: '1', key: Buffer.from('conversation-42'), value, headers: {} };
    const [p1, p2, p3] = [make(KEY_A), make(KEY_A), make(KEY_B)];
    const [o1, o2, o3] = await Promise.all([
      p1.process('raw.chat', 0, [msg]),
      p2.process('raw.chat', 1, [{ ...msg, offset: '9' }]),
      p3.process('raw.chat', 0, [msg]),
    ]);
    const fp = (o: typeof o1) => ({
      key: o.outcomes[0]!.keyFingerprint,
      finding: o.outcomes[0]!.decision.findings[0]!.fingerprint,
    });
    expect(fp(o1)).toEqual(fp(o2));
    expect(fp(o3).key).not.toBe(fp(o1).key);
    expect(fp(o3).finding).not.toBe(fp(o1).finding);
  });
});
