import {
  createCipheriv,
  createDecipheriv,
  createHash,
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

/** Raw bytes of long-lived recipient keys: exported once, not for every quarantined record. */
const recipientRaw = new WeakMap<KeyObject, Buffer>();

function rawRecipient(key: KeyObject): Buffer {
  let raw = recipientRaw.get(key);
  if (raw === undefined) recipientRaw.set(key, (raw = rawPublic(key)));
  return raw;
}

function publicFromRaw(raw: Buffer): KeyObject {
  const prefix = Buffer.from('302a300506032b656e032100', 'hex');
  return createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' });
}

function deriveKey(shared: Buffer, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, recipientRaw]), HKDF_INFO, 32));
}

/**
 * The id of an X25519 key: the first 16 hex digits of SHA-256 over its public key (SPKI DER).
 * The default `secrets.quarantineKeyId`, so envelopes name the key that opens them; a private key
 * gives the same id, which lets review tools refuse a mismatched key before trying it.
 */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** An id made by keyIdOf (custom ids such as `prod-2026` cannot be checked against a key). */
export function isDerivedKeyId(id: string): boolean {
  return /^[0-9a-f]{16}$/.test(id);
}

export function encryptPayload(
  recipient: KeyObject,
  keyId: string,
  plaintext: Buffer,
  aad: Buffer,
): EncryptedPayload {
  const eph = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const ephRaw = rawPublic(eph.publicKey);
  const key = deriveKey(shared, ephRaw, rawRecipient(recipient));
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
  // Only ids keyIdOf made can be checked against the key; a custom id is tried as it is.
  const privateKeyId = isDerivedKeyId(payload.keyId) ? keyIdOf(privateKey) : null;
  if (privateKeyId !== null && privateKeyId !== payload.keyId) {
    throw new SluiceError(
      ErrorCodes.DECRYPT_FAILED,
      `this private key has key id ${privateKeyId}, the payload was encrypted to key id ${payload.keyId}`,
      {
        hint: 'use the private key whose id matches the envelope (sluice keys generate writes it to key-id)',
      },
    );
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

/**
 * Crypto-shredding layout (envelope `dataKeyTopic` set): the payload is encrypted under a random
 * per-record AES-256-GCM data key (DEK); the DEK itself is wrapped to the recipient key with the
 * ECIES above and stored apart from the envelope, in a compacted topic keyed by the envelope id.
 * Deleting that one key record (a tombstone) makes exactly this payload unreadable for good,
 * private key or not, without rewriting the quarantine topic.
 */
export const DEK_PAYLOAD_ALG = 'AES-256-GCM+WRAPPED-DEK';

export interface DataKeyEncrypted {
  /** Envelope part: no key material at all. */
  payload: { alg: string; iv: Buffer; tag: Buffer; ciphertext: Buffer };
  /** The DEK wrapped to the recipient key; goes to the data-key topic only. */
  wrappedKey: EncryptedPayload;
}

/** The AAD of a wrapped data key: binds it to its envelope id, so a key record cannot be moved. */
export function dataKeyAad(envelopeId: string): Buffer {
  return Buffer.from(`dek|${envelopeId}`, 'utf8');
}

export function encryptWithDataKey(
  recipient: KeyObject,
  keyId: string,
  plaintext: Buffer,
  aad: Buffer,
  envelopeId: string,
): DataKeyEncrypted {
  const dek = randomBytes(32);
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dek, iv);
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const wrappedKey = encryptPayload(recipient, keyId, dek, dataKeyAad(envelopeId));
    return { payload: { alg: DEK_PAYLOAD_ALG, iv, tag, ciphertext }, wrappedKey };
  } finally {
    dek.fill(0);
  }
}

/** Unwraps the DEK with the private key, then opens the payload. Throws SLUICE_DECRYPT_FAILED. */
export function decryptWithDataKey(
  privateKey: KeyObject,
  payload: { alg: string; iv: Buffer; tag: Buffer; ciphertext: Buffer },
  wrappedKey: EncryptedPayload,
  aad: Buffer,
  envelopeId: string,
): Buffer {
  if (payload.alg !== DEK_PAYLOAD_ALG) {
    throw new SluiceError(ErrorCodes.DECRYPT_FAILED, `unsupported payload algorithm ${payload.alg}`, {
      hint: `this version of sluice reads ${PAYLOAD_ALG} and ${DEK_PAYLOAD_ALG}`,
    });
  }
  const dek = decryptPayload(privateKey, wrappedKey, dataKeyAad(envelopeId));
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, payload.iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(payload.tag);
    return Buffer.concat([decipher.update(payload.ciphertext), decipher.final()]);
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.DECRYPT_FAILED,
      `cannot decrypt payload of envelope ${envelopeId} with its data key`,
      {
        hint: 'the data key record does not belong to this envelope, or the envelope was tampered with',
        cause: err,
      },
    );
  } finally {
    dek.fill(0);
  }
}
