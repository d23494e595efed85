import { createHash } from 'node:crypto';

/** Hex SHA-256, e.g. for QuarantineEnvelope keySha256 and PayloadReference. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
