import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { ErrorCodes, SluiceError } from '../errors';

/**
 * Hybrid encryption of quarantined payloads to security's X25519 public key (ECIES-style):
 * a fresh ephemeral X25519 key per record, ECDH with the recipient key, HKDF-SHA-256 into a
 * one-off AES-256-GCM data key. The scrubber holds only the public key, so nothing it writes
 * can be read back without security's private key. The additional authenticated data binds
 * the ciphertext to its source coordinates, so an envelope cannot be swapped onto another record.
 */
export const PAYLOAD_ALG = 'X25519-HKDF-SHA256+AES-256-GCM';
const HKDF_INFO = Buffer.from('sluice-quarantine-payload-v1');

export interface EncryptedPayload {
  keyId: string;
  alg: string;
  ephemeralPublicKey: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function rawPublic(key: KeyObject): Buffer {
  // SPKI DER of an X25519 key is a fixed 12-byte prefix + the 32 raw bytes.
  const der = key.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

function publicFromRaw(raw: Buffer): KeyObject {
  const prefix = Buffer.from('302a300506032b656e032100', 'hex');
  return createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' });
}

function deriveKey(shared: Buffer, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, recipientRaw]), HKDF_INFO, 32));
}

export function encryptPayload(recipient: KeyObject, keyId: string, plaintext: Buffer, aad: Buffer): EncryptedPayload {
  const eph = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const ephRaw = rawPublic(eph.publicKey);
  const key = deriveKey(shared, ephRaw, rawPublic(recipient));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  key.fill(0);
  return { keyId, alg: PAYLOAD_ALG, ephemeralPublicKey: ephRaw, iv, tag, ciphertext };
}

export function decryptPayload(privateKey: KeyObject, payload: EncryptedPayload, aad: Buffer): Buffer {
  if (payload.alg !== PAYLOAD_ALG) {
    throw new SluiceError(ErrorCodes.DECRYPT_FAILED, `unsupported payload algorithm ${payload.alg}`, {
      hint: `this version of sluice reads ${PAYLOAD_ALG}`,
    });
  }
  try {
    const recipientPublic = createPublicKey(privateKey);
    const shared = diffieHellman({ privateKey, publicKey: publicFromRaw(payload.ephemeralPublicKey) });
    const key = deriveKey(shared, payload.ephemeralPublicKey, rawPublic(recipientPublic));
    const decipher = createDecipheriv('aes-256-gcm', key, payload.iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(payload.tag);
    const out = Buffer.concat([decipher.update(payload.ciphertext), decipher.final()]);
    key.fill(0);
    return out;
  } catch (err) {
    throw new SluiceError(ErrorCodes.DECRYPT_FAILED, `cannot decrypt payload with key id ${payload.keyId}`, {
      hint: 'use the private key matching the envelope key id; the envelope may also have been tampered with',
      cause: err,
    });
  }
}
