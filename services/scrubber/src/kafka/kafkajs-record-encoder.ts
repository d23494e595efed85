import { replaceKafkajsModule } from './kafkajs-module-replacement';
import { crc32c } from './crc32c';

/**
 * kafkajs encodes every produced record with a chain of small Encoders: a zero-filled 512-byte
 * Buffer per record and per header, a `Buffer.from([...])` per varint and BigInt arithmetic for
 * the timestamp delta, then copies the records into a batch buffer that grows by doubling. On
 * the bench's chat records that is ~5 µs per record plus ~2.5 µs per header, most of a
 * pass-through's CPU (README "Benchmarks"). This module puts an equivalent Record and
 * RecordBatch encoder into kafkajs' module cache (the way kafkajs-linear-grouping mends
 * kafkajs 2.2.4, its last release): sizes are computed first and every batch is written once
 * into one buffer, CRC-32C by slicing-by-8. The bytes are those kafkajs writes (unit test: a
 * property over random records, batches and compression against kafkajs' own encoders). Input
 * the fast path does not cover (a Uint8Array that is not a Buffer, a number as a value, a
 * timestamp delta beyond 2^50) goes to kafkajs' original record encoder, so it behaves exactly
 * as before, errors included. This module must load before `kafkajs`.
 *
 * Record (message format v2, KIP-98):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   key varint-bytes | value varint-bytes | header count varint | [key varint-string, value varint-bytes]
 */

/** What kafkajs' Encoder consumers read from an encoded part: `buf` (a Buffer) and `buffer`. */
interface EncoderLike {
  readonly buf: Buffer;
  readonly buffer: Buffer;
  size(): number;
}

type RecordArgs = {
  offsetDelta?: unknown;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: unknown;
};

interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}
interface KafkajsEncoderCtor {
  prototype: object;
}
interface CompressionCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
}
interface CompressionModule {
  Types: { None: number };
  lookupCodec(type: number): CompressionCodec | null;
  COMPRESSION_CODEC_MASK: number;
}

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs internals, untyped CommonJS */
const KafkajsEncoder = require('kafkajs/src/protocol/encoder') as KafkajsEncoderCtor;
const Long = require('kafkajs/src/utils/long') as {
  fromValue(v: unknown): KafkajsLong;
  fromInt(v: number): KafkajsLong;
};
const compressionModule = require('kafkajs/src/protocol/message/compression') as CompressionModule;
/** kafkajs' own record encoder: the path for input the fast path does not cover. */
const originalRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  args: RecordArgs,
) => EncoderLike;
/* eslint-enable @typescript-eslint/no-require-imports */

export const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Largest |timestamp delta| the number arithmetic below zig-zags exactly (2^50). */
const MAX_FAST_DELTA = 2 ** 50;

/** An Encoder-shaped view of finished bytes (kafkajs' writeEncoder checks `buf` and reads `buffer`). */
function asEncoder(buf: Buffer): EncoderLike {
  const e = Object.create(KafkajsEncoder.prototype) as { buf: Buffer; offset: number };
  e.buf = buf;
  e.offset = buf.length;
  return e as unknown as EncoderLike;
}

/** Bytes of a zig-zag varint of a 32-bit value, as kafkajs' Encoder.sizeOfVarInt. */
function sizeOfVarInt(value: number): number {
  let v = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((v & 0xffffff80) !== 0) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}

function writeVarInt(buf: Buffer, at: number, value: number): number {
  let v = (value << 1) ^ (value >> 31);
  while ((v & 0xffffff80) !== 0) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v & 0x7f;
  return at;
}

/** Zig-zag of a 64-bit value given as a safe integer with |v| <= 2^50, as a non-negative number. */
function zigZag64(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

function sizeOfUVarLong(u: number): number {
  let bytes = 1;
  while (u >= 128) {
    bytes++;
    u = Math.floor(u / 128);
  }
  return bytes;
}

function writeUVarLong(buf: Buffer, at: number, u: number): number {
  while (u >= 128) {
    buf[at++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[at++] = u;
  return at;
}

/** Byte length of a key, value or header value as kafkajs writes it; -1 for null; NaN when not covered. */
function bytesLength(v: unknown): number {
  if (v === null || v === undefined) return -1;
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  return NaN;
}

function writeBytes(buf: Buffer, at: number, v: unknown, len: number): number {
  at = writeVarInt(buf, at, len);
  if (len <= 0) return at;
  if (typeof v === 'string') buf.write(v, at, len, 'utf8');
  else (v as Buffer).copy(buf, at);
  return at + len;
}

/**
 * A record whose size is known and whose bytes are written straight into the batch buffer by
 * RecordBatch below; anything else that asks for its `buf` gets them materialised once.
 */
class PendingRecord implements EncoderLike {
  private bytes: Buffer | null = null;

  constructor(
    readonly total: number,
    private readonly body: number,
    private readonly zz: number,
    private readonly offsetDelta: number,
    private readonly key: unknown,
    private readonly keyLen: number,
    private readonly value: unknown,
    private readonly valueLen: number,
    /** Flat [name, value, name, value, ...] in kafkajs' order. */
    private readonly headers: unknown[],
    private readonly headerLens: number[],
  ) {}

  get buf(): Buffer {
    if (this.bytes === null) {
      const b = Buffer.allocUnsafe(this.total);
      this.writeTo(b, 0);
      this.bytes = b;
    }
    return this.bytes;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  size(): number {
    return this.total;
  }

  writeTo(buf: Buffer, at: number): number {
    if (this.bytes !== null) {
      this.bytes.copy(buf, at);
      return at + this.total;
    }
    at = writeVarInt(buf, at, this.body);
    buf[at++] = 0; // attributes: none used by record format v2
    at = writeUVarLong(buf, at, this.zz);
    at = writeVarInt(buf, at, this.offsetDelta);
    at = writeBytes(buf, at, this.key, this.keyLen);
    at = writeBytes(buf, at, this.value, this.valueLen);
    const h = this.headers;
    at = writeVarInt(buf, at, h.length >> 1);
    for (let i = 0; i < h.length; i += 2) {
      at = writeBytes(buf, at, h[i], this.headerLens[i]!);
      at = writeBytes(buf, at, h[i + 1], this.headerLens[i + 1]!);
    }
    return at;
  }
}

/** Records encoded by the fast path and by kafkajs' own encoder (a test checks which one kafkajs uses). */
export const recordEncoderStats = { fast: 0, fallback: 0 };

/** kafkajs' `Record` (protocol/recordBatch/record/v0) with the same defaults and bytes. */
export function encodeRecord(args: RecordArgs): EncoderLike {
  const fast = encodeFast(args);
  if (fast !== null) {
    recordEncoderStats.fast++;
    return fast;
  }
  recordEncoderStats.fallback++;
  return originalRecord(args);
}

function encodeFast(args: RecordArgs): PendingRecord | null {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = args;
  if (
    typeof offsetDelta !== 'number' ||
    !Number.isInteger(offsetDelta) ||
    offsetDelta < 0 ||
    offsetDelta > 0x3fffffff ||
    typeof timestampDelta !== 'number' ||
    !Number.isSafeInteger(timestampDelta) ||
    Math.abs(timestampDelta) > MAX_FAST_DELTA ||
    headers === null ||
    typeof headers !== 'object'
  )
    return null;
  const keyLen = bytesLength(key);
  const valueLen = bytesLength(value);
  if (Number.isNaN(keyLen) || Number.isNaN(valueLen)) return null;
  const flat: unknown[] = [];
  const lens: number[] = [];
  let headerBytes = 0;
  const h = headers as Record<string, unknown>;
  for (const name of Object.keys(h)) {
    const v = h[name];
    const nameLen = Buffer.byteLength(name, 'utf8');
    if (Array.isArray(v)) {
      for (const one of v) {
        const len = bytesLength(one);
        // kafkajs cannot size a null header value (Buffer.byteLength(null) throws): its path decides.
        if (!(len >= 0)) return null;
        flat.push(name, one);
        lens.push(nameLen, len);
        headerBytes += sizeOfVarInt(nameLen) + nameLen + sizeOfVarInt(len) + len;
      }
    } else {
      const len = bytesLength(v);
      if (!(len >= 0)) return null;
      flat.push(name, v);
      lens.push(nameLen, len);
      headerBytes += sizeOfVarInt(nameLen) + nameLen + sizeOfVarInt(len) + len;
    }
  }
  const zz = zigZag64(timestampDelta);
  const body =
    1 +
    sizeOfUVarLong(zz) +
    sizeOfVarInt(offsetDelta) +
    sizeOfVarInt(keyLen) +
    Math.max(0, keyLen) +
    sizeOfVarInt(valueLen) +
    Math.max(0, valueLen) +
    sizeOfVarInt(flat.length >> 1) +
    headerBytes;
  return new PendingRecord(
    sizeOfVarInt(body) + body,
    body,
    zz,
    offsetDelta,
    key,
    keyLen,
    value,
    valueLen,
    flat,
    lens,
  );
}

function writeRecords(records: readonly EncoderLike[], buf: Buffer, at: number): number {
  for (const r of records) {
    if (r instanceof PendingRecord) at = r.writeTo(buf, at);
    else {
      const b = r.buffer;
      b.copy(buf, at);
      at += b.length;
    }
  }
  return at;
}

function recordsSize(records: readonly EncoderLike[]): number {
  let n = 0;
  for (const r of records) n += r instanceof PendingRecord ? r.total : r.buffer.length;
  return n;
}

function writeInt64(buf: Buffer, at: number, v: unknown): number {
  const l = Long.fromValue(v);
  buf.writeInt32BE(l.getHighBits(), at);
  buf.writeInt32BE(l.getLowBits(), at + 4);
  return at + 8;
}

interface RecordBatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: EncoderLike[];
}

/** Bytes from FirstOffset to the batch's Attributes (8 + 4 + 4 + 1 + 4). */
const BATCH_PREFIX = 21;
/** Attributes .. FirstSequence plus the record count (2 + 4 + 8 + 8 + 8 + 2 + 4 + 4). */
const BATCH_HEADER = 40;

/**
 * kafkajs' `RecordBatch` (protocol/recordBatch/v0) with the same defaults and bytes:
 *   FirstOffset int64 | Length int32 | PartitionLeaderEpoch int32 | Magic int8 | CRC uint32 |
 *   Attributes int16 | LastOffsetDelta int32 | FirstTimestamp int64 | MaxTimestamp int64 |
 *   ProducerId int64 | ProducerEpoch int16 | FirstSequence int32 | Records (count int32, ...)
 * The CRC covers Attributes to the end.
 */
export async function encodeRecordBatch(args: RecordBatchArgs): Promise<EncoderLike> {
  const {
    compression = compressionModule.Types.None,
    firstOffset = Long.fromInt(0),
    firstTimestamp = Date.now(),
    maxTimestamp = Date.now(),
    partitionLeaderEpoch = 0,
    lastOffsetDelta = 0,
    transactional = false,
    producerId = Long.fromValue(-1),
    producerEpoch = 0,
    firstSequence = 0,
    records = [],
  } = args;
  const codecId = compression & compressionModule.COMPRESSION_CODEC_MASK;
  const attributes = codecId | (transactional ? TRANSACTIONAL_MASK : 0);
  let payload: Buffer | null = null;
  if (compression !== compressionModule.Types.None) {
    const codec = compressionModule.lookupCodec(compression);
    if (!codec) throw new Error(`kafkajs has no codec for compression type ${compression}`);
    const raw = Buffer.allocUnsafe(recordsSize(records));
    writeRecords(records, raw, 0);
    payload = await codec.compress(asEncoder(raw));
  }
  const bodyLength = BATCH_HEADER + (payload ? payload.length : recordsSize(records));
  const buf = Buffer.allocUnsafe(BATCH_PREFIX + bodyLength);
  let at = writeInt64(buf, 0, firstOffset);
  buf.writeInt32BE(4 + 1 + 4 + bodyLength, at);
  buf.writeInt32BE(partitionLeaderEpoch, at + 4);
  buf.writeInt8(MAGIC_BYTE, at + 8);
  at = BATCH_PREFIX;
  const bodyStart = at;
  buf.writeInt16BE(attributes, at);
  buf.writeInt32BE(lastOffsetDelta, at + 2);
  at = writeInt64(buf, at + 6, firstTimestamp);
  at = writeInt64(buf, at, maxTimestamp);
  at = writeInt64(buf, at, producerId);
  buf.writeInt16BE(producerEpoch, at);
  buf.writeInt32BE(firstSequence, at + 2);
  buf.writeInt32BE(records.length, at + 6);
  at += 10;
  if (payload) {
    payload.copy(buf, at);
    at += payload.length;
  } else at = writeRecords(records, buf, at);
  if (at !== buf.length) throw new Error(`record batch encoder wrote ${at} of ${buf.length} bytes`);
  buf.writeUInt32BE(crc32c(buf, bodyStart, buf.length), BATCH_PREFIX - 4);
  return asEncoder(buf);
}

let installed = false;

/** True when our encoders are the ones kafkajs' produce request uses (false if kafkajs was loaded first). */
export function installRecordEncoder(): boolean {
  if (installed) return true;
  const produce = 'kafkajs/src/protocol/requests/produce/v3/request';
  // The fetch decoder also reads MAGIC_BYTE from the batch module.
  const batch = replaceKafkajsModule('kafkajs/src/protocol/recordBatch/v0', produce, {
    RecordBatch: encodeRecordBatch,
    MAGIC_BYTE,
  });
  const record = replaceKafkajsModule('kafkajs/src/protocol/recordBatch/record/v0', produce, encodeRecord);
  installed = batch && record;
  return installed;
}

installRecordEncoder();
