/**
 * Compression codecs for kafkajs. kafkajs only ships gzip; a snappy, lz4 or zstd batch
 * otherwise throws on fetch and stalls the partition. `registerCompressionCodecs()` plugs
 * these into kafkajs' codec table (idempotent; call before creating consumers/producers).
 *
 * kafkajs contract (src/protocol/message/compression): a factory returning
 * `{ compress(encoder): Promise<Buffer>, decompress(buffer): Promise<Buffer> }`, where
 * `encoder.buffer` holds the uncompressed record bytes.
 *
 * Every decompressor is bounded (`maxDecompressedBytes`) and validates its input: a corrupt
 * batch throws SluiceError COMPRESSION_FAILED rather than yielding garbage records.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { ErrorCodes, SluiceError } from '../errors';

interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export interface CompressionOptions {
  /** Upper bound on one decompressed batch; a larger one fails instead of exhausting memory. */
  maxDecompressedBytes?: number;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export function registerCompressionCodecs(opts: CompressionOptions = {}): void {
  const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const codecs = createCodecs(limit);
  // kafkajs types the table as a var of factories returning any; we only replace entries.
  const table = CompressionCodecs as unknown as Record<number, () => KafkaCodec>;
  table[CompressionTypes.Snappy] = () => codecs.snappy;
  table[CompressionTypes.LZ4] = () => codecs.lz4;
  table[CompressionTypes.ZSTD] = () => codecs.zstd;
}

export function createCodecs(limit: number = DEFAULT_MAX_DECOMPRESSED_BYTES): {
  snappy: KafkaCodec;
  lz4: KafkaCodec;
  zstd: KafkaCodec;
} {
  return {
    snappy: {
      compress: async (encoder) => snappyXerialCompress(encoder.buffer),
      decompress: async (buffer) => guard('snappy', () => snappyDecompress(buffer, limit)),
    },
    lz4: {
      compress: async (encoder) => lz4FrameCompress(encoder.buffer),
      decompress: async (buffer) => guard('lz4', () => lz4FrameDecompress(buffer, limit)),
    },
    zstd: {
      // Async zlib runs on the libuv pool, keeping big batches off the event loop.
      compress: async (encoder) => zstdCompress(encoder.buffer),
      decompress: async (buffer) => {
        try {
          return await zstdDecompress(buffer, { maxOutputLength: limit });
        } catch (cause) {
          throw corrupt('zstd', cause);
        }
      },
    },
  };
}

const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress) as (
  buf: Buffer,
  opts: zlib.ZstdOptions,
) => Promise<Buffer>;

function guard(codec: string, fn: () => Buffer): Buffer {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof SluiceError) throw cause;
    throw corrupt(codec, cause);
  }
}

function corrupt(codec: string, cause?: unknown, what = 'corrupt input'): SluiceError {
  return new SluiceError(ErrorCodes.COMPRESSION_FAILED, `${codec} decompression failed: ${what}`, {
    cause,
    hint: 'the batch is corrupt or not in the declared codec; inspect it with kafka-dump-log',
  });
}

// ---------------------------------------------------------------------------------------
// Snappy. Java producers (snappy-java's SnappyOutputStream) write the xerial framing:
// magic "\x82SNAPPY\0", int32 BE version, int32 BE min-compatible version, then blocks of
// int32 BE compressed length + raw snappy block. librdkafka and kafkajs-snappy write a bare
// raw block. We read both and write xerial, which every client understands.
// ---------------------------------------------------------------------------------------

// snappyjs has no typings; the two functions used are typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as {
  compress(b: Buffer): Buffer;
  uncompress(b: Buffer, maxLength?: number): Buffer;
};

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's default block size. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

export function snappyXerialCompress(input: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  for (let off = 0; off < input.length; off += XERIAL_BLOCK_BYTES) {
    const block = snappy.compress(input.subarray(off, Math.min(off + XERIAL_BLOCK_BYTES, input.length)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export function snappyDecompress(input: Buffer, limit: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  if (input.length >= XERIAL_MAGIC.length && input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return xerialDecompress(input, limit);
  }
  return snappyRaw(input, limit);
}

function xerialDecompress(input: Buffer, limit: number): Buffer {
  if (input.length < XERIAL_HEADER_BYTES) throw corrupt('snappy', undefined, 'truncated xerial header');
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < input.length) {
    if (input.length - pos < 4) throw corrupt('snappy', undefined, 'truncated xerial block length');
    const len = input.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > input.length - pos)
      throw corrupt('snappy', undefined, 'xerial block runs past the end');
    const block = snappyRaw(input.subarray(pos, pos + len), limit - total);
    pos += len;
    total += block.length;
    parts.push(block);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function snappyRaw(block: Buffer, limit: number): Buffer {
  // snappyjs checks the declared length against maxLength before allocating.
  const out = snappy.uncompress(block, limit);
  return Buffer.isBuffer(out) ? out : Buffer.from(out);
}

// ---------------------------------------------------------------------------------------
// LZ4 frame format, https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md
// Written like Java's KafkaLZ4BlockOutputStream: 64 KiB independent blocks, no checksums.
// Read with bounds checks on every copy (lz4js's decoder has none, so corrupt input would
// silently yield garbage). Header checksum: Kafka's old v0 message format computed it over
// magic+descriptor instead of the descriptor alone (KAFKA-3160); v2 batches use the standard
// one. We accept both, since both only guard the header and kafkajs may fetch v0/v1 message sets.
// ---------------------------------------------------------------------------------------

// lz4js has no typings; only its xxHash32 is used.
type Xxh32Module = { hash(seed: number, src: Uint8Array, index: number, len: number): number };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CJS module
const lz4jsXxh32 = require('lz4js/xxh32.js') as Xxh32Module;
const xxh32 = lz4jsXxh32.hash;

const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE = 0x184d2a50;
const LZ4_BLOCK_BYTES = 64 * 1024;
const LZ4_BLOCK_MAX: Record<number, number> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
};
const MIN_MATCH = 4;
/** Spec: the last match starts at least 12 bytes before the block end; the last 5 bytes are literals. */
const MF_LIMIT = 12;
const LAST_LITERALS = 5;

export function lz4FrameCompress(input: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = 0x60; // version 01, block independence
  header[5] = 4 << 4; // 64 KiB max block size
  header[6] = (xxh32(0, header, 4, 2) >>> 8) & 0xff;
  parts.push(header);
  const scratch = Buffer.alloc(LZ4_BLOCK_BYTES + (LZ4_BLOCK_BYTES >> 8) + 16);
  const table = new Int32Array(1 << 16);
  for (let off = 0; off < input.length; off += LZ4_BLOCK_BYTES) {
    const block = input.subarray(off, Math.min(off + LZ4_BLOCK_BYTES, input.length));
    const n = lz4CompressBlock(block, scratch, table);
    const size = Buffer.alloc(4);
    if (n > 0 && n < block.length) {
      size.writeUInt32LE(n, 0);
      parts.push(size, Buffer.from(scratch.subarray(0, n)));
    } else {
      size.writeUInt32LE((0x80000000 | block.length) >>> 0, 0); // stored uncompressed
      parts.push(size, block);
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

/** Greedy single-hash LZ4 block compressor. Returns the compressed length, 0 if not worth it. */
function lz4CompressBlock(src: Buffer, dst: Buffer, table: Int32Array): number {
  const n = src.length;
  if (n < MF_LIMIT + 1) return 0;
  table.fill(-1);
  const matchLimit = n - MF_LIMIT; // a match may not START at or after this
  let anchor = 0;
  let s = 0;
  let d = 0;
  while (s < matchLimit) {
    const seq = src.readUInt32LE(s);
    const h = Math.imul(seq, 2654435761) >>> 16;
    const ref = table[h]!;
    table[h] = s;
    if (ref < 0 || s - ref > 0xffff || src.readUInt32LE(ref) !== seq) {
      s++;
      continue;
    }
    let len = MIN_MATCH;
    const maxLen = n - LAST_LITERALS - s;
    while (len < maxLen && src[s + len] === src[ref + len]) len++;
    d = writeSequence(src, dst, d, anchor, s - anchor, s - ref, len - MIN_MATCH);
    s += len;
    anchor = s;
  }
  // last literals
  const lit = n - anchor;
  const token = d++;
  if (lit >= 15) {
    dst[token] = 0xf0;
    let rest = lit - 15;
    for (; rest >= 255; rest -= 255) dst[d++] = 255;
    dst[d++] = rest;
  } else dst[token] = lit << 4;
  src.copy(dst, d, anchor, n);
  d += lit;
  return d;
}

function writeSequence(
  src: Buffer,
  dst: Buffer,
  d: number,
  litStart: number,
  lit: number,
  offset: number,
  extraMatch: number,
): number {
  const token = d++;
  let t = (lit >= 15 ? 15 : lit) << 4;
  if (lit >= 15) {
    let rest = lit - 15;
    for (; rest >= 255; rest -= 255) dst[d++] = 255;
    dst[d++] = rest;
  }
  src.copy(dst, d, litStart, litStart + lit);
  d += lit;
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  t |= extraMatch >= 15 ? 15 : extraMatch;
  if (extraMatch >= 15) {
    let rest = extraMatch - 15;
    for (; rest >= 255; rest -= 255) dst[d++] = 255;
    dst[d++] = rest;
  }
  dst[token] = t;
  return d;
}

export function lz4FrameDecompress(input: Buffer, limit: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  const out = new GrowableBuffer(limit);
  let pos = 0;
  let frames = 0;
  while (pos < input.length) {
    if (input.length - pos < 4) throw corrupt('lz4', undefined, 'truncated frame magic');
    const magic = input.readUInt32LE(pos);
    if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE) {
      if (input.length - pos < 8) throw corrupt('lz4', undefined, 'truncated skippable frame');
      const size = input.readUInt32LE(pos + 4);
      if (size > input.length - pos - 8) throw corrupt('lz4', undefined, 'skippable frame runs past the end');
      pos += 8 + size;
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt('lz4', undefined, 'bad frame magic');
    pos = lz4Frame(input, pos, out);
    frames++;
  }
  if (frames === 0) throw corrupt('lz4', undefined, 'no frame');
  return out.result();
}

function lz4Frame(input: Buffer, frameStart: number, out: GrowableBuffer): number {
  let pos = frameStart + 4;
  const need = (n: number, what: string): void => {
    if (input.length - pos < n) throw corrupt('lz4', undefined, `truncated ${what}`);
  };
  need(3, 'frame descriptor');
  const flg = input[pos]!;
  const bd = input[pos + 1]!;
  if (flg >> 6 !== 1) throw corrupt('lz4', undefined, 'unsupported frame version');
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0)
    throw corrupt('lz4', undefined, 'reserved descriptor bits set');
  const blockChecksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  if (hasDictId) throw corrupt('lz4', undefined, 'dictionary frames are not supported');
  const maxBlock = LZ4_BLOCK_MAX[(bd >> 4) & 7];
  if (maxBlock === undefined) throw corrupt('lz4', undefined, 'invalid block size');
  const descStart = pos;
  pos += 2;
  let contentSize = -1;
  if (hasContentSize) {
    need(8, 'content size');
    const hi = input.readUInt32LE(pos + 4);
    contentSize = hi * 0x100000000 + input.readUInt32LE(pos);
    pos += 8;
  }
  need(1, 'header checksum');
  const hc = input[pos]!;
  const standard = (xxh32(0, input, descStart, pos - descStart) >>> 8) & 0xff;
  const kafkaLegacy = (xxh32(0, input, frameStart, pos - frameStart) >>> 8) & 0xff;
  if (hc !== standard && hc !== kafkaLegacy) throw corrupt('lz4', undefined, 'header checksum mismatch');
  pos++;
  const contentStart = out.length;
  for (;;) {
    need(4, 'block size');
    const raw = input.readUInt32LE(pos);
    pos += 4;
    if (raw === 0) break;
    const stored = (raw & 0x80000000) !== 0;
    const size = raw & 0x7fffffff;
    if (size > maxBlock) throw corrupt('lz4', undefined, 'block larger than its declared maximum');
    need(size + (blockChecksum ? 4 : 0), 'block');
    if (blockChecksum && xxh32(0, input, pos, size) >>> 0 !== input.readUInt32LE(pos + size)) {
      throw corrupt('lz4', undefined, 'block checksum mismatch');
    }
    if (stored) out.append(input, pos, size);
    else lz4DecompressBlock(input, pos, pos + size, out, maxBlock);
    pos += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) {
    need(4, 'content checksum');
    const expected = input.readUInt32LE(pos);
    if (out.checksum(contentStart) !== expected) throw corrupt('lz4', undefined, 'content checksum mismatch');
    pos += 4;
  }
  if (contentSize >= 0 && out.length - contentStart !== contentSize)
    throw corrupt('lz4', undefined, 'content size mismatch');
  return pos;
}

/** Decodes one LZ4 block (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md) with bounds checks. */
function lz4DecompressBlock(
  src: Buffer,
  s: number,
  end: number,
  out: GrowableBuffer,
  maxBlock: number,
): void {
  const blockStart = out.length;
  const readLength = (base: number): number => {
    let len = base;
    if (base === 15) {
      for (;;) {
        if (s >= end) throw corrupt('lz4', undefined, 'truncated length');
        const b = src[s++]!;
        len += b;
        if (b !== 255) break;
      }
    }
    return len;
  };
  for (;;) {
    if (s >= end) throw corrupt('lz4', undefined, 'truncated sequence');
    const token = src[s++]!;
    const lit = readLength(token >> 4);
    if (lit > end - s) throw corrupt('lz4', undefined, 'literals run past the block');
    out.append(src, s, lit);
    s += lit;
    if (s === end) break; // the last sequence has literals only
    if (end - s < 2) throw corrupt('lz4', undefined, 'truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    const matchLen = readLength(token & 0x0f) + MIN_MATCH;
    if (offset === 0 || offset > out.length) throw corrupt('lz4', undefined, 'match offset out of range');
    out.copyWithin(offset, matchLen);
    if (out.length - blockStart > maxBlock)
      throw corrupt('lz4', undefined, 'block decodes past its declared maximum');
  }
}

/** Output buffer that doubles as needed, up to a hard limit. */
class GrowableBuffer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  constructor(private readonly limit: number) {}

  private reserve(n: number): void {
    const need = this.length + n;
    if (need > this.limit)
      throw new SluiceError(ErrorCodes.COMPRESSION_FAILED, `decompressed batch exceeds ${this.limit} bytes`, {
        hint: 'raise maxDecompressedBytes if batches this large are expected',
      });
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, Math.max(need, this.limit)));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  append(src: Buffer, start: number, n: number): void {
    this.reserve(n);
    src.copy(this.buf, this.length, start, start + n);
    this.length += n;
  }

  /** LZ4 match copy: may overlap its own output (offset < length repeats a pattern), so byte by byte. */
  copyWithin(offset: number, n: number): void {
    this.reserve(n);
    const b = this.buf;
    let from = this.length - offset;
    let to = this.length;
    if (offset >= n) b.copy(b, to, from, from + n);
    else for (const stop = to + n; to < stop;) b[to++] = b[from++]!;
    this.length += n;
  }

  checksum(from: number): number {
    return xxh32(0, this.buf, from, this.length - from) >>> 0;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
