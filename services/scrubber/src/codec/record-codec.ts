/**
 * Decode and encode records in the Confluent wire format, fail closed.
 *
 * Decoding runs `checkAvroBody` (structure, UTF-8, duplicate map keys, trailing bytes; see
 * wire-check.ts) and then avsc's `decode`, which is then known to be safe. We chose the
 * byte walk over encode-back comparison: it is cheaper (no second encode, no string
 * allocation), names the failing field, and also catches what a round trip cannot (map keys
 * that vanish, crafted block counts).
 */
import type * as avsc from 'avsc';
import { ErrorCodes, SluiceError } from '../errors';
import type { AvroNode } from './avro-node';
import { decodeJsonValue, encodeJsonValue } from './json-record';
import { describeAvscPath } from './schema-path';
import type { SchemaRegistry } from './schema-registry';
import { checkAvroBody } from './wire-check';
import { readFrameHeader, WIRE_HEADER_BYTES, writeFrameHeader } from './wire-format';

export interface DecodedRecord {
  readonly schemaId: number;
  readonly type: avsc.Type;
  readonly node: AvroNode;
  /** avsc's in-memory value; treat as read-only (rewrite works on a copy). */
  readonly value: unknown;
}

/** How a source's values are encoded; a per-source option. */
export type SourceFormat =
  { readonly format: 'avro' } | { readonly format: 'json'; readonly schemaId: number };

export function decodeAvro(registry: SchemaRegistry, buf: Uint8Array): DecodedRecord {
  const { schemaId, bodyOffset } = readFrameHeader(buf);
  const schema = registry.get(schemaId);
  checkAvroBody(buf, bodyOffset, schema.node);
  const body = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  let decoded: { value: unknown; offset: number };
  try {
    decoded = schema.type.decode(body, bodyOffset) as { value: unknown; offset: number };
  } catch (cause) {
    // Unreachable after the wire check unless avsc and the check disagree; fail closed anyway.
    throw new SluiceError(ErrorCodes.DECODE_FAILED, `avro decode failed for schema id ${schemaId}`, {
      cause: scrubCause(cause),
    });
  }
  if (decoded.offset !== buf.length) {
    throw new SluiceError(
      ErrorCodes.DECODE_FAILED,
      `avro decode for schema id ${schemaId} ended at ${decoded.offset} of ${buf.length} bytes`,
    );
  }
  return { schemaId, type: schema.type, node: schema.node, value: decoded.value };
}

export function encodeAvro(registry: SchemaRegistry, schemaId: number, value: unknown): Buffer {
  const schema = registry.get(schemaId);
  let body: Buffer;
  try {
    body = schema.type.toBuffer(value);
  } catch {
    // avsc's message embeds the offending value: replace it with the failing path.
    throw new SluiceError(
      ErrorCodes.ENCODE_FAILED,
      `value does not match schema id ${schemaId} at ${invalidPath(schema.type, schema.node, value)}`,
      {
        hint: 'a rewrite produced a value its schema cannot hold',
      },
    );
  }
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  writeFrameHeader(out, schemaId);
  body.copy(out, WIRE_HEADER_BYTES);
  return out;
}

export function decodeJson(registry: SchemaRegistry, schemaId: number, buf: Uint8Array): DecodedRecord {
  const schema = registry.get(schemaId);
  return {
    schemaId,
    type: schema.type,
    node: schema.node,
    value: decodeJsonValue(buf, schema.type, schema.node),
  };
}

export function encodeJson(registry: SchemaRegistry, schemaId: number, value: unknown): Buffer {
  const schema = registry.get(schemaId);
  if (!schema.type.isValid(value, { noUndeclaredFields: true })) {
    throw new SluiceError(
      ErrorCodes.ENCODE_FAILED,
      `value does not match schema id ${schemaId} at ${invalidPath(schema.type, schema.node, value)}`,
    );
  }
  return encodeJsonValue(value);
}

/** A source's codec: decode and re-encode in the source's own format. */
export interface SourceCodec {
  readonly format: SourceFormat;
  decode(buf: Uint8Array): DecodedRecord;
  /** Encode a (rewritten) value in the same format and framing it was decoded from. */
  encode(schemaId: number, value: unknown): Buffer;
}

export function createSourceCodec(registry: SchemaRegistry, format: SourceFormat): SourceCodec {
  if (format.format === 'json') {
    registry.get(format.schemaId); // fail at startup on an unknown id
    return {
      format,
      decode: (buf) => decodeJson(registry, format.schemaId, buf),
      encode: (schemaId, value) => encodeJson(registry, schemaId, value),
    };
  }
  return {
    format,
    decode: (buf) => decodeAvro(registry, buf),
    encode: (schemaId, value) => encodeAvro(registry, schemaId, value),
  };
}

function invalidPath(type: avsc.Type, node: AvroNode, value: unknown): string {
  let path = '(root)';
  type.isValid(value, {
    errorHook: (parts: string[]) => {
      if (path === '(root)') path = describeAvscPath(node, parts);
    },
  });
  return path;
}

/** Keep a foreign error's class and name but drop its message, which may quote data. */
function scrubCause(cause: unknown): Error {
  const e = new Error('avsc error (message withheld: may contain payload data)');
  e.name = cause instanceof Error ? cause.name : 'Error';
  return e;
}
