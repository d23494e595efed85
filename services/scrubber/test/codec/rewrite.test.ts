import * as fc from 'fast-check';
import { ErrorCodes } from '../../src/errors';
import { walkFields } from '../../src/codec/field-walker';
import { createSourceCodec, decodeAvro, encodeAvro } from '../../src/codec/record-codec';
import { rewriteRecord, rewriteValue, rewriteValueByPath } from '../../src/codec/rewrite';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { arbitraryValue } from './avro-arbitrary';
import { telemetry } from './fixtures';

const registry = SchemaRegistry.load();
const avro = createSourceCodec(registry, { format: 'avro' });

describe('rewrite', () => {
  it.each([1, 2])('changes only the rewritten leaf of a random schema-%i value', (id) => {
    const s = registry.get(id);
    fc.assert(
      fc.property(
        arbitraryValue(s.node),
        fc.nat(),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        (v, pick, replacement) => {
          const input = encodeAvro(registry, id, v);
          const d = decodeAvro(registry, input);
          const before = walkFields(d.node, d.value);
          const strings = before.redactable.flatMap((r, i) => (r ? [i] : []));
          const target = strings[pick % strings.length]!;
          const out = rewriteRecord(avro, d, new Map([[target, replacement]]));
          expect(out.subarray(0, 5).equals(input.subarray(0, 5))).toBe(true); // same framing and id
          const after = walkFields(d.node, decodeAvro(registry, out).value);
          expect(after.texts.length).toBe(before.texts.length);
          after.texts.forEach((t, i) => {
            expect(t.path).toBe(before.texts[i]!.path);
            expect(t.text).toBe(i === target ? replacement : before.texts[i]!.text);
          });
          expect(decodeAvro(registry, input).value).toEqual(d.value); // input untouched
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rewrites by path, including inside a wrapped union and a map value', () => {
    const d = decodeAvro(registry, encodeAvro(registry, 1, telemetry('s')));
    const v = rewriteValueByPath(d, new Map([['value.body.KeyEvent.key', '[REDACTED]']]), 'value') as {
      body: Record<string, { key: string }>;
    };
    expect(v.body['io.sluice.KeyEvent']!.key).toBe('[REDACTED]');
  });

  it('refuses to write into a non-string leaf', () => {
    const d = decodeAvro(registry, encodeAvro(registry, 1, telemetry('s')));
    const { texts } = walkFields(d.node, d.value);
    const kind = texts.findIndex((t) => t.path === 'field.kind');
    expect(() => rewriteValue(d, new Map([[kind, '[X]']]))).toThrow(
      expect.objectContaining({ code: ErrorCodes.UNREDACTABLE_FIELD }),
    );
    expect(() => rewriteValueByPath(d, new Map([['no.such.path', 'x']]))).toThrow(
      expect.objectContaining({ code: ErrorCodes.UNREDACTABLE_FIELD }),
    );
  });

  it('re-encodes JSON sources as JSON', () => {
    const json = createSourceCodec(registry, { format: 'json', schemaId: 2 });
    const d = json.decode(
      Buffer.from(
        JSON.stringify({
          conversationId: 'c',
          messageId: 'm',
          sender: 's',
          senderDisplay: null,
          visibility: 'PUBLIC',
          sentAtMs: 1,
          text: 'mail bob@example.com',
          attachments: [],
          metadata: {},
        }),
      ),
    );
    const idx = walkFields(d.node, d.value).texts.findIndex((t) => t.path === 'text');
    const out = JSON.parse(rewriteRecord(json, d, new Map([[idx, 'mail [EMAIL:3fa9c2d1]']])).toString());
    expect(out.text).toBe('mail [EMAIL:3fa9c2d1]');
  });
});
