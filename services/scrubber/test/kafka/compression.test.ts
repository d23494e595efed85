import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import * as fc from 'fast-check';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappyjs = require('snappyjs') as { compress(b: Buffer): Buffer };
import { ErrorCodes } from '../../src/errors';
import {
  createCodecs,
  lz4FrameCompress,
  lz4FrameDecompress,
  registerCompressionCodecs,
  snappyDecompress,
  snappyXerialCompress,
  XERIAL_MAGIC,
} from '../../src/kafka/compression';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4js = require('lz4js') as {
  compress(b: Uint8Array): Uint8Array;
  decompress(b: Uint8Array): Uint8Array;
};

const codecs = createCodecs(16 * 1024 * 1024);
const samples: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  tiny: Buffer.from('a'),
  text: Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(5000)),
  random: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24)),
  zeros: Buffer.alloc(300_000),
};

describe.each(['snappy', 'lz4', 'zstd'] as const)('%s codec', (name) => {
  it.each(Object.keys(samples))('round trips %s', async (sample) => {
    const data = samples[sample]!;
    const compressed = await codecs[name].compress({ buffer: data });
    expect((await codecs[name].decompress(compressed)).equals(data)).toBe(true);
  });

  it('round trips arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.nat(40), async (bytes, repeat) => {
        const data = Buffer.concat(Array.from({ length: repeat + 1 }, () => Buffer.from(bytes)));
        const out = await codecs[name].decompress(await codecs[name].compress({ buffer: data }));
        expect(out.equals(data)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects garbage with COMPRESSION_FAILED', async () => {
    const garbage = Buffer.from('this is not a compressed batch at all, just text');
    await expect(codecs[name].decompress(garbage)).rejects.toMatchObject({
      code: ErrorCodes.COMPRESSION_FAILED,
    });
  });

  it('rejects a truncated batch', async () => {
    const compressed = await codecs[name].compress({ buffer: samples.text! });
    await expect(
      codecs[name].decompress(compressed.subarray(0, compressed.length - 7)),
    ).rejects.toMatchObject({
      code: ErrorCodes.COMPRESSION_FAILED,
    });
  });

  it('refuses to decompress past the size limit', async () => {
    const small = createCodecs(1000)[name];
    const compressed = await codecs[name].compress({ buffer: samples.zeros! });
    await expect(small.decompress(compressed)).rejects.toMatchObject({ code: ErrorCodes.COMPRESSION_FAILED });
  });
});

describe('snappy framing', () => {
  it('decompresses a hand-built xerial stream of two blocks', () => {
    const a = Buffer.from('first block, '.repeat(100));
    const b = Buffer.from('second block');
    const blockA = snappyjs.compress(a);
    const blockB = snappyjs.compress(b);
    const header = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
    const len = (n: number) => {
      const l = Buffer.alloc(4);
      l.writeInt32BE(n, 0);
      return l;
    };
    const framed = Buffer.concat([header, len(blockA.length), blockA, len(blockB.length), blockB]);
    expect(snappyDecompress(framed).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('decompresses a raw (unframed) snappy block as librdkafka writes it', () => {
    const data = Buffer.from('raw snappy from librdkafka '.repeat(50));
    expect(snappyDecompress(snappyjs.compress(data)).equals(data)).toBe(true);
  });

  it('writes the xerial header', () => {
    const out = snappyXerialCompress(Buffer.from('x'));
    expect(out.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(out.readInt32BE(8)).toBe(1);
    expect(out.readInt32BE(12)).toBe(1);
  });

  it('rejects a xerial block length that runs past the end', () => {
    const framed = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 2])]);
    expect(() => snappyDecompress(framed)).toThrow(/snappy decompression failed/);
  });
});

describe('lz4 frames', () => {
  const data = samples.text!;

  it('is read by lz4js and reads lz4js output (an independent implementation)', () => {
    expect(Buffer.from(lz4js.decompress(lz4FrameCompress(data))).equals(data)).toBe(true);
    expect(lz4FrameDecompress(Buffer.from(lz4js.compress(data))).equals(data)).toBe(true);
  });

  it('writes independent 64 KiB blocks like KafkaLZ4BlockOutputStream', () => {
    const frame = lz4FrameCompress(data);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]).toBe(0x60);
    expect(frame[5]).toBe(0x40);
  });

  it("accepts the header checksum Kafka's v0 message format computed over the magic too", () => {
    const frame = Buffer.from(lz4FrameCompress(data));
    // xxh32 of magic+FLG+BD, as the broken KafkaLZ4BlockOutputStream wrote it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const xxh = require('lz4js/xxh32.js') as {
      hash(seed: number, src: Uint8Array, i: number, n: number): number;
    };
    frame[6] = (xxh.hash(0, frame, 0, 6) >>> 8) & 0xff;
    expect(lz4FrameDecompress(frame).equals(data)).toBe(true);
  });

  it('rejects a wrong header checksum', () => {
    const frame = Buffer.from(lz4FrameCompress(data));
    frame[6] = (frame[6]! + 1) & 0xff;
    expect(() => lz4FrameDecompress(frame)).toThrow(/header checksum/);
  });

  it('rejects a match offset pointing before the output', () => {
    // magic, FLG, BD, HC, then a block whose sequence copies from offset 9 with no output yet.
    const header = lz4FrameCompress(Buffer.alloc(0)).subarray(0, 7);
    const block = Buffer.from([0x00, 9, 0, 0x10, 0x41]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length, 0);
    expect(() => lz4FrameDecompress(Buffer.concat([header, size, block, Buffer.alloc(4)]))).toThrow(
      /offset out of range/,
    );
  });

  it('flips of any single byte never go unnoticed silently as a crash', () => {
    const frame = lz4FrameCompress(Buffer.from('abcabcabcabc hello hello hello hello world'.repeat(20)));
    for (let i = 0; i < frame.length; i++) {
      const bad = Buffer.from(frame);
      bad[i] = bad[i]! ^ 0x5a;
      try {
        lz4FrameDecompress(bad);
      } catch (e) {
        expect((e as { code?: string }).code).toBe(ErrorCodes.COMPRESSION_FAILED);
      }
    }
  });
});

describe('registerCompressionCodecs', () => {
  it('plugs snappy, lz4 and zstd into kafkajs, idempotently', async () => {
    registerCompressionCodecs();
    registerCompressionCodecs();
    const table = CompressionCodecs as unknown as Record<
      number,
      () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
    >;
    for (const t of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const codec = table[t]!();
      const data = Buffer.from(`codec ${t} `.repeat(100));
      expect((await codec.decompress(await codec.compress({ buffer: data }))).equals(data)).toBe(true);
    }
  });

  it('is what kafkajs looks up when decoding a batch', () => {
    registerCompressionCodecs();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression') as {
      lookupCodecByAttributes(a: number): unknown;
    };
    expect(lookupCodecByAttributes(CompressionTypes.ZSTD)).toBeDefined();
    expect(lookupCodecByAttributes(CompressionTypes.LZ4)).toBeDefined();
    expect(lookupCodecByAttributes(CompressionTypes.Snappy)).toBeDefined();
  });
});
