/**
 * Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
import { ErrorCodes, SluiceError } from '../errors';

export const WIRE_MAGIC = 0;
export const WIRE_HEADER_BYTES = 5;

export function readFrameHeader(buf: Uint8Array): { schemaId: number; bodyOffset: number } {
  if (buf.length < WIRE_HEADER_BYTES) {
    throw new SluiceError(
      ErrorCodes.DECODE_FAILED,
      `record of ${buf.length} bytes is shorter than the 5-byte wire header`,
      {
        hint: 'producer must use the Confluent wire format',
      },
    );
  }
  if (buf[0] !== WIRE_MAGIC) {
    throw new SluiceError(ErrorCodes.DECODE_FAILED, `wire magic byte is ${buf[0]}, expected 0`, {
      hint: 'producer must use the Confluent wire format',
    });
  }
  const schemaId = ((buf[1]! << 24) | (buf[2]! << 16) | (buf[3]! << 8) | buf[4]!) >>> 0;
  return { schemaId, bodyOffset: WIRE_HEADER_BYTES };
}

export function writeFrameHeader(target: Buffer, schemaId: number): void {
  target[0] = WIRE_MAGIC;
  target.writeUInt32BE(schemaId, 1);
}
