import fc from 'fast-check';
import { packRecords, packedTransferList, unpackRecords } from '../../../src/scan/pool/packed';
import type { RecordScanRequest } from '../../../src/scan/types';

// Any UTF-16 content survives, lone surrogates and empty texts included: the packed string is
// cut by code-unit lengths, never re-encoded.
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) }),
  fc.constant(''),
);
const request: fc.Arbitrary<RecordScanRequest> = fc.record(
  {
    source: fc.constantFrom('chat', 'telemetry', 'docs'),
    texts: fc.array(
      fc.record({ path: fc.constantFrom('value.text', 'key', 'headers.x', 'value.a.b'), text }),
      {
        maxLength: 6,
      },
    ),
    seamAt: fc.nat(),
  },
  { requiredKeys: ['source', 'texts'] },
);

describe('packed transport', () => {
  test('unpack(pack(records)) is the records, in order', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 40 }), (records) => {
        expect(unpackRecords(packRecords(records))).toEqual(records);
      }),
      { numRuns: 300 },
    );
  });

  test('paths and sources are sent once per chunk; typed arrays are transferable', () => {
    const records: RecordScanRequest[] = Array.from({ length: 100 }, (_, i) => ({
      source: 'chat',
      texts: [
        { path: 'value.text', text: `message ${i}` },
        { path: 'key', text: `conv-${i % 3}` },
      ],
    }));
    const p = packRecords(records);
    expect(p.paths).toEqual(['value.text', 'key']);
    expect(p.sources).toEqual(['chat']);
    expect(packedTransferList(p)).toHaveLength(5);
    const cloned = structuredClone(p, { transfer: packedTransferList(p) });
    expect(unpackRecords(cloned)).toEqual(records);
  });

  test('a seamAt that is not a non-negative integer is refused before it is sent', () => {
    for (const seamAt of [-1, 1.5, Number.NaN, 2 ** 31])
      expect(() => packRecords([{ source: 'chat', texts: [{ path: 'seam', text: 'ab' }], seamAt }])).toThrow(
        /seamAt/,
      );
  });

  test('an inconsistent message is refused, not half-read', () => {
    const p = packRecords([{ source: 'chat', texts: [{ path: 'k', text: 'abc' }] }]);
    expect(() => unpackRecords({ ...p, text: 'abcd' })).toThrow(/inconsistent/);
  });
});
