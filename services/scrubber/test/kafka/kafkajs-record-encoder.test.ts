import fc from 'fast-check';
import { crc32c } from '../../src/kafka/crc32c';
import { encodeRecord, encodeRecordBatch } from '../../src/kafka/kafkajs-record-encoder';

// jest keeps its own module registry: these are kafkajs' originals, not the cached replacements.
type Encoded = { buffer: Buffer };
const originalRecord = jest.requireActual('kafkajs/src/protocol/recordBatch/record/v0') as (
  args: unknown,
) => Encoded;
const { RecordBatch: originalBatch } = jest.requireActual('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: unknown) => Promise<Encoded>;
};
const originalCrc = jest.requireActual('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (
  b: Buffer,
) => number;
const Decoder = jest.requireActual('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const decodeBatch = jest.requireActual('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  d: unknown,
) => Promise<{
  firstOffset: string;
  inTransaction: boolean;
  records: Array<{
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, unknown>;
  }>;
}>;
const Long = jest.requireActual('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const { Types } = jest.requireActual('kafkajs/src/protocol/message/compression') as {
  Types: { None: number; GZIP: number };
};

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const text = fc.string({ unit: 'grapheme', maxLength: 80 });
const keyOrValue = fc.oneof(fc.constant(null), fc.constant(undefined), bytes, text);
const headerValue = fc.oneof(bytes, text);
const headers = fc.dictionary(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }),
  fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
  { maxKeys: 6 },
);
const recordArgs = fc.record(
  {
    offsetDelta: fc.nat({ max: 5_000_000 }),
    timestampDelta: fc.oneof(
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
      // Beyond the fast path's exact range: kafkajs' own encoder writes these.
      fc.constantFrom(2 ** 52, -(2 ** 53 - 1), 2 ** 53 - 1),
    ),
    key: keyOrValue,
    value: keyOrValue,
    headers,
  },
  { requiredKeys: [] },
);

describe('CRC-32C', () => {
  test('RFC 3720 B.4 test vectors and "123456789"', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  test('equals kafkajs checksum on any bytes and any sub-range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), (a, x, y) => {
        const b = Buffer.from(a);
        const s = b.length === 0 ? 0 : x % (b.length + 1);
        const e = s + (b.length - s === 0 ? 0 : y % (b.length - s + 1));
        expect(crc32c(b, s, e)).toBe(originalCrc(b.subarray(s, e)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('record encoder', () => {
  test('writes the bytes kafkajs writes, for any record', () => {
    fc.assert(
      fc.property(recordArgs, (args) => {
        expect(encodeRecord(args).buffer.equals(originalRecord(args).buffer)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('input outside the fast path behaves as in kafkajs, errors included', () => {
    const odd: unknown[] = [
      { key: new Uint8Array([1, 2, 3]), value: Buffer.from('v') },
      { key: null, value: 42 },
      { value: Buffer.from('v'), headers: { h: null } },
      { value: Buffer.from('v'), headers: { h: undefined } },
      { value: Buffer.from('v'), timestampDelta: 1.5 },
      { value: Buffer.from('v'), timestampDelta: 2 ** 60 },
      { value: Buffer.from('v'), headers: null },
    ];
    for (const args of odd) {
      // Errors from Node's Buffer come from another realm than jest's: compare names, not classes.
      let want: Buffer | null = null;
      let wantError: string | null = null;
      try {
        want = originalRecord(args).buffer;
      } catch (err) {
        wantError = (err as Error).name;
      }
      if (wantError !== null) {
        let got: string | null = null;
        try {
          encodeRecord(args as never);
        } catch (err) {
          got = (err as Error).name;
        }
        expect(got).toBe(wantError);
      } else expect(encodeRecord(args as never).buffer.equals(want!)).toBe(true);
    }
  });
});

describe('record batch encoder', () => {
  const batchArgs = fc.record({
    records: fc.array(recordArgs, { maxLength: 40 }),
    firstOffset: fc.oneof(fc.constant(undefined), fc.bigInt({ min: 0n, max: 2n ** 40n }).map(String)),
    firstTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    maxTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    partitionLeaderEpoch: fc.integer({ min: 0, max: 1000 }),
    producerId: fc.bigInt({ min: -1n, max: 2n ** 62n }),
    producerEpoch: fc.integer({ min: 0, max: 32767 }),
    firstSequence: fc.nat({ max: 2 ** 31 - 1 }),
    transactional: fc.boolean(),
    compression: fc.constantFrom(Types.None, Types.GZIP),
    // Some records encoded by kafkajs itself (the fallback path mixes both kinds in one batch).
    viaOriginal: fc.array(fc.boolean(), { maxLength: 40 }),
  });

  test('writes the bytes kafkajs writes, for any batch, uncompressed or gzip', async () => {
    await fc.assert(
      fc.asyncProperty(batchArgs, async (b) => {
        const common = {
          compression: b.compression,
          ...(b.firstOffset !== undefined ? { firstOffset: Long.fromValue(b.firstOffset) } : {}),
          firstTimestamp: b.firstTimestamp,
          maxTimestamp: b.maxTimestamp,
          partitionLeaderEpoch: b.partitionLeaderEpoch,
          lastOffsetDelta: Math.max(0, b.records.length - 1),
          transactional: b.transactional,
          producerId: Long.fromValue(b.producerId),
          producerEpoch: b.producerEpoch,
          firstSequence: b.firstSequence,
        };
        const ours = await encodeRecordBatch({
          ...common,
          records: b.records.map((r, i) => (b.viaOriginal[i] ? originalRecord(r) : encodeRecord(r))) as never,
        });
        const theirs = await originalBatch({ ...common, records: b.records.map((r) => originalRecord(r)) });
        if (b.compression === Types.None) expect(ours.buffer.equals(theirs.buffer)).toBe(true);
        else {
          // gzip output carries no timestamp (Node writes mtime 0), so equal bytes are expected too.
          expect(ours.buffer.equals(theirs.buffer)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('kafkajs decodes what it encodes: offsets, keys, values and headers', async () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: { a: Buffer.from('x'), b: ['1', '2'] } },
      { key: null, value: 'héllo', headers: {} },
      { key: 'k3', value: null, headers: { 'sluice-verdict': Buffer.from('clean') } },
    ].map((r, i) => encodeRecord({ ...r, offsetDelta: i, timestampDelta: i * 10 }));
    const enc = await encodeRecordBatch({
      records: records as never,
      firstOffset: Long.fromValue('1000'),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_020,
      lastOffsetDelta: 2,
      transactional: true,
      producerId: Long.fromValue(7),
    });
    const decoded = await decodeBatch(new Decoder(enc.buffer));
    expect(decoded.firstOffset).toBe('1000');
    expect(decoded.inTransaction).toBe(true);
    expect(decoded.records.map((r) => r.offset)).toEqual(['1000', '1001', '1002']);
    expect(decoded.records[0]!.key!.toString()).toBe('k1');
    expect(decoded.records[0]!.headers).toEqual({
      a: Buffer.from('x'),
      b: [Buffer.from('1'), Buffer.from('2')],
    });
    expect(decoded.records[1]!.key).toBeNull();
    expect(decoded.records[1]!.value!.toString()).toBe('héllo');
    expect(decoded.records[2]!.value).toBeNull();
  });
});
