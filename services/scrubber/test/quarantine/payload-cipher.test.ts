import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decryptPayload, encryptPayload, keyIdOf } from '../../src/quarantine/payload-cipher';

describe('payload cipher', () => {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');

  test('round trip returns the exact bytes, for any payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const aad = Buffer.from('t/0/1');
        const enc = encryptPayload(publicKey, 'k1', Buffer.from(bytes), aad);
        expect(decryptPayload(privateKey, enc, aad).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  test('each record gets its own data key (fresh ephemeral key and IV)', () => {
    const a = encryptPayload(publicKey, 'k1', Buffer.from('same'), Buffer.alloc(0));
    const b = encryptPayload(publicKey, 'k1', Buffer.from('same'), Buffer.alloc(0));
    expect(a.ephemeralPublicKey.equals(b.ephemeralPublicKey)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  test('the wrong private key, a moved envelope, or tampering cannot decrypt', () => {
    const other = generateKeyPairSync('x25519').privateKey;
    const enc = encryptPayload(publicKey, 'k1', randomBytes(100), Buffer.from('t/0/1'));
    expect(() => decryptPayload(other, enc, Buffer.from('t/0/1'))).toThrow(/cannot decrypt/);
    expect(() => decryptPayload(privateKey, enc, Buffer.from('t/0/2'))).toThrow(/cannot decrypt/);
    const tampered = { ...enc, ciphertext: Buffer.from(enc.ciphertext) };
    tampered.ciphertext[0] ^= 1;
    expect(() => decryptPayload(privateKey, tampered, Buffer.from('t/0/1'))).toThrow(
      /SLUICE_DECRYPT_FAILED|cannot decrypt/,
    );
  });

  test('key ids: derived from the public key, the same from the private key, and a mismatch is named', () => {
    const id = keyIdOf(publicKey);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(privateKey)).toBe(id);
    const other = generateKeyPairSync('x25519');
    expect(keyIdOf(other.publicKey)).not.toBe(id);
    const enc = encryptPayload(publicKey, id, Buffer.from('x'), Buffer.alloc(0));
    expect(() => decryptPayload(other.privateKey, enc, Buffer.alloc(0))).toThrow(
      `this private key has key id ${keyIdOf(other.privateKey)}, the payload was encrypted to key id ${id}`,
    );
    expect(decryptPayload(privateKey, enc, Buffer.alloc(0)).toString()).toBe('x');
  });
});
