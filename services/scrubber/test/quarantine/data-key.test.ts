// Crypto-shredding layout: the payload is encrypted under a per-record data key that lives only
// in the data-key record; without that record (a tombstone) the envelope cannot be opened.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { decodeAvro } from '../../src/codec/record-codec';
import { EnvelopeWriter, payloadAad, SchemaIds } from '../../src/quarantine/envelope-writer';
import {
  decryptPayload,
  decryptWithDataKey,
  encryptWithDataKey,
  DEK_PAYLOAD_ALG,
  type EncryptedPayload,
} from '../../src/quarantine/payload-cipher';
import type { QuarantineEnvelope } from '../../src/quarantine/quarantine-review';

const registry = SchemaRegistry.load();
const { publicKey, privateKey } = generateKeyPairSync('x25519');

describe('data-key (crypto-shredding) layout', () => {
  test('round trip for any payload; a key record is bound to its envelope id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const aad = Buffer.from('5|t/0/1|e1');
        const enc = encryptWithDataKey(publicKey, 'k', Buffer.from(bytes), aad, 'e1');
        expect(
          decryptWithDataKey(privateKey, enc.payload, enc.wrappedKey, aad, 'e1').equals(Buffer.from(bytes)),
        ).toBe(true);
      }),
      { numRuns: 30 },
    );
    const a = encryptWithDataKey(publicKey, 'k', randomBytes(64), Buffer.from('x'), 'e1');
    const b = encryptWithDataKey(publicKey, 'k', randomBytes(64), Buffer.from('x'), 'e2');
    // b's key record presented for a's envelope: refused (AAD binds the wrapped key to its id).
    expect(() => decryptWithDataKey(privateKey, a.payload, b.wrappedKey, Buffer.from('x'), 'e1')).toThrow(
      /SLUICE_DECRYPT_FAILED|cannot decrypt/,
    );
    expect(() => decryptWithDataKey(privateKey, a.payload, a.wrappedKey, Buffer.from('x'), 'e2')).toThrow(
      /cannot decrypt/,
    );
  });

  test('EnvelopeWriter writes the envelope without key material and a separate data-key record', () => {
    const w = new EnvelopeWriter(registry, publicKey, 'kid', 'inst', { dataKeyTopic: 'keys' });
    const original = Buffer.from('{"password":"hunter2-very-secret"}');
    const out = w.writeRecord({
      source: { topic: 'raw.chat', partition: 2, offset: '41', timestampMs: 5, keyFingerprint: null },
      reason: 'SLUICE_DECODE_FAILED',
      findings: [],
      original: { key: Buffer.from('k'), value: original, headers: [] },
      size: original.length,
      carry: true,
      sha256: null,
      rulesetVersion: 'rs',
    });
    expect(out.dataKey).not.toBeNull();
    expect(out.dataKey!.topic).toBe('keys');
    expect(out.dataKey!.key.toString()).toBe(out.envelopeId);
    expect(out.value.includes(original)).toBe(false);
    const env = decodeAvro(registry, out.value).value as QuarantineEnvelope;
    expect(env.envelopeId).toBe(out.envelopeId);
    expect(env.dataKeyTopic).toBe('keys');
    const enc = env.payload['io.sluice.EncryptedPayload']!;
    expect(enc.alg).toBe(DEK_PAYLOAD_ALG);
    expect(enc.ephemeralPublicKey.length).toBe(0);
    const aad = payloadAad(SchemaIds.quarantinedRecord, 'raw.chat', 2, '41', out.envelopeId);
    // The private key alone opens nothing: the envelope holds no (derivable) data key.
    expect(() =>
      decryptPayload(privateKey, { ...enc, alg: 'X25519-HKDF-SHA256+AES-256-GCM' }, aad),
    ).toThrow();

    const dk = decodeAvro(registry, out.dataKey!.value).value as {
      envelopeId: string;
      keyId: string;
      alg: string;
      ephemeralPublicKey: Buffer;
      iv: Buffer;
      tag: Buffer;
      wrappedKey: Buffer;
      source: string;
    };
    expect(dk.source).toBe('raw.chat/2/41');
    const wrapped: EncryptedPayload = {
      keyId: dk.keyId,
      alg: dk.alg,
      ephemeralPublicKey: dk.ephemeralPublicKey,
      iv: dk.iv,
      tag: dk.tag,
      ciphertext: dk.wrappedKey,
    };
    const plain = decryptWithDataKey(privateKey, enc, wrapped, aad, out.envelopeId);
    const rec = decodeAvro(registry, plain).value as { value: Buffer };
    expect(rec.value.equals(original)).toBe(true);
    // write() must not silently drop the data key in this layout.
    expect(() =>
      w.write({
        source: { topic: 't', partition: 0, offset: '0', timestampMs: 0, keyFingerprint: null },
        reason: 'x',
        findings: [],
        original: { key: null, value: null, headers: [] },
        size: 0,
        carry: true,
        sha256: null,
        rulesetVersion: 'rs',
      }),
    ).toThrow(/writeRecord/);
  });

  test('the inline layout is unchanged (no data-key record, ECIES in the envelope)', () => {
    const w = new EnvelopeWriter(registry, publicKey, 'kid', 'inst');
    const out = w.writeRecord({
      source: { topic: 't', partition: 0, offset: '3', timestampMs: 0, keyFingerprint: null },
      reason: 'x',
      findings: [],
      original: { key: null, value: Buffer.from('v'), headers: [] },
      size: 1,
      carry: true,
      sha256: null,
      rulesetVersion: 'rs',
    });
    expect(out.dataKey).toBeNull();
    const env = decodeAvro(registry, out.value).value as QuarantineEnvelope;
    expect(env.dataKeyTopic).toBeNull();
    const plain = decryptPayload(
      privateKey,
      env.payload['io.sluice.EncryptedPayload']!,
      payloadAad(SchemaIds.quarantinedRecord, 't', 0, '3'),
    );
    expect((decodeAvro(registry, plain).value as { value: Buffer }).value.toString()).toBe('v');
  });
});
