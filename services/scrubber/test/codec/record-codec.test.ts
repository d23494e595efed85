import * as fc from 'fast-check';
import { ErrorCodes } from '../../src/errors';
import { createSourceCodec, decodeAvro, encodeAvro } from '../../src/codec/record-codec';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { arbitraryValue } from './avro-arbitrary';
import { telemetry } from './fixtures';

const registry = SchemaRegistry.load();

const chat = {
  conversationId: 'c-1',
  messageId: 'm-1',
  sender: 'u-1',
  senderDisplay: null,
  visibility: 'INTERNAL',
  sentAtMs: 1_700_000_000_000,
  text: 'hello',
  attachments: [{ name: 'a.txt', mime: 'text/plain', sizeBytes: 5, text: 'hi' }],
  metadata: { client: 'web' },
};

/** Replace the bytes of the first occurrence of `needle` in `buf`. */
function patch(buf: Buffer, needle: string, replacement: Buffer): Buffer {
  const at = buf.indexOf(needle);
  if (at < 0) throw new Error('needle not found');
  const out = Buffer.from(buf);
  replacement.copy(out, at);
  return out;
}

describe('SchemaRegistry', () => {
  it('loads every schema of the repository registry', () => {
    expect(registry.ids().sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(registry.get(2).name).toBe('io.sluice.ChatMessage');
    expect(registry.byName('io.sluice.TelemetryEvent')?.id).toBe(1);
  });

  it('reports an unknown id as UNKNOWN_SCHEMA', () => {
    expect(() => registry.get(99)).toThrow(expect.objectContaining({ code: ErrorCodes.UNKNOWN_SCHEMA }));
  });

  it('rejects a missing registry file as CONFIG_INVALID', () => {
    expect(() => SchemaRegistry.load('/nonexistent/registry.json')).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }),
    );
  });
});

describe('Avro wire format', () => {
  it('frames with magic 0 and a big-endian schema id', () => {
    const buf = encodeAvro(registry, 2, chat);
    expect([...buf.subarray(0, 5)]).toEqual([0, 0, 0, 0, 2]);
    const d = decodeAvro(registry, buf);
    expect(d.schemaId).toBe(2);
    expect(d.value).toMatchObject(chat);
  });

  it.each([1, 2, 3, 4, 5])('decode(encode(v)) round trips random values of schema %i', (id) => {
    const s = registry.get(id);
    fc.assert(
      fc.property(arbitraryValue(s.node), (v) => {
        const buf = encodeAvro(registry, id, v);
        const d = decodeAvro(registry, buf);
        expect(encodeAvro(registry, id, d.value).equals(buf)).toBe(true);
        expect(d.value).toEqual(s.type.clone(v));
      }),
      { numRuns: 150 },
    );
  });

  const bad: [string, () => Buffer, string, RegExp | null][] = [
    ['empty', () => Buffer.alloc(0), ErrorCodes.DECODE_FAILED, null],
    [
      'bad magic',
      () => Buffer.concat([Buffer.from([1]), encodeAvro(registry, 2, chat).subarray(1)]),
      ErrorCodes.DECODE_FAILED,
      /magic/,
    ],
    [
      'unknown schema',
      () => Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), encodeAvro(registry, 2, chat).subarray(5)]),
      ErrorCodes.UNKNOWN_SCHEMA,
      null,
    ],
    ['truncated', () => encodeAvro(registry, 2, chat).subarray(0, 30), ErrorCodes.DECODE_FAILED, /truncated/],
    [
      'trailing bytes',
      () => Buffer.concat([encodeAvro(registry, 2, chat), Buffer.from([0])]),
      ErrorCodes.DECODE_FAILED,
      /trailing/,
    ],
    [
      'invalid UTF-8 in text',
      () => patch(encodeAvro(registry, 2, chat), 'hello', Buffer.from([0x68, 0xff, 0x6c])),
      ErrorCodes.INVALID_UTF8,
      /at text \(/,
    ],
    [
      'overlong UTF-8 in an attachment',
      () => patch(encodeAvro(registry, 2, chat), 'a.txt', Buffer.from([0xc0, 0xaf])),
      ErrorCodes.INVALID_UTF8,
      /attachments\[0\]\.name/,
    ],
    [
      'invalid UTF-8 in a map key',
      () => patch(encodeAvro(registry, 2, { ...chat, metadata: { k: 'v' } }), 'k', Buffer.from([0xfe])),
      ErrorCodes.INVALID_UTF8,
      /metadata\{0\}\.\$key/,
    ],
    [
      'surrogate encoded as UTF-8 in a union string',
      () => patch(encodeAvro(registry, 1, telemetry('abc')), 'abc', Buffer.from([0xed, 0xa0, 0x80])),
      ErrorCodes.INVALID_UTF8,
      /body\.KeyEvent\.key/,
    ],
    [
      'duplicate map key',
      () =>
        patch(encodeAvro(registry, 2, { ...chat, metadata: { kA: 'x', kB: 'y' } }), 'kB', Buffer.from('kA')),
      ErrorCodes.DECODE_FAILED,
      /duplicate map key at metadata\{1\}/,
    ],
    [
      '__proto__ map key',
      () =>
        patch(
          encodeAvro(registry, 2, { ...chat, metadata: { _________: 'x' } }),
          '_________',
          Buffer.from('__proto__'),
        ),
      ErrorCodes.DECODE_FAILED,
      null,
    ],
    [
      'enum index out of range',
      () => patch(encodeAvro(registry, 2, chat), 'hello', Buffer.from('hello')),
      ErrorCodes.DECODE_FAILED,
      null,
    ],
  ];

  it.each(bad.filter((b) => b[0] !== 'enum index out of range'))(
    'rejects %s',
    (_name, make, code, message) => {
      let err: unknown;
      try {
        decodeAvro(registry, make());
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code });
      if (message) expect((err as Error).message).toMatch(message);
    },
  );

  it('rejects a union or enum index out of range', () => {
    const buf = encodeAvro(registry, 1, telemetry('x'));
    // The body union index sits right before the KeyEvent key string (length 1 => 0x02, 'x').
    const at = buf.lastIndexOf(Buffer.from([0x02, 0x78]));
    const out = Buffer.from(buf);
    out[at - 1] = 0x0a; // zig-zag 5: a sixth branch that does not exist
    expect(() => decodeAvro(registry, out)).toThrow(/union index out of range at body/);
  });

  it('rejects a crafted huge block count without looping over it', () => {
    // ChatMessage with an attachments block count of 2^40: avsc alone would spin.
    const head = encodeAvro(registry, 2, { ...chat, attachments: [], metadata: {} });
    const tail = head.subarray(head.length - 2); // [0 attachments end][0 metadata end]
    const huge = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    const crafted = Buffer.concat([head.subarray(0, head.length - 2), huge, tail]);
    const t0 = Date.now();
    expect(() => decodeAvro(registry, crafted)).toThrow(/block count exceeds/);
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it('never puts payload bytes into the error message', () => {
    const buf = patch(
      encodeAvro(registry, 2, { ...chat, text: 'secret-AKIAIOSFODNN7EXAMPLE' }),
      'AKIA',
      Buffer.from([0xff]),
    );
    expect(() => decodeAvro(registry, buf)).toThrow(
      expect.objectContaining({ message: expect.not.stringMatching(/IOSFODNN|secret/) }),
    );
  });

  it('fails encoding with the field path, not the value', () => {
    expect(() => encodeAvro(registry, 2, { ...chat, visibility: 'TOP-SECRET-VALUE' })).toThrow(
      expect.objectContaining({
        code: ErrorCodes.ENCODE_FAILED,
        message: expect.stringMatching(/at visibility/),
      }),
    );
    expect(() => encodeAvro(registry, 2, { ...chat, visibility: 'TOP-SECRET-VALUE' })).toThrow(
      expect.objectContaining({ message: expect.not.stringMatching(/TOP-SECRET/) }),
    );
  });
});

describe('JSON sources', () => {
  const codec = createSourceCodec(registry, { format: 'json', schemaId: 2 });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));

  it('decodes a value that matches the schema and re-encodes it as JSON', () => {
    const d = codec.decode(json(chat));
    expect(d.schemaId).toBe(2);
    expect(JSON.parse(codec.encode(2, d.value).toString())).toEqual(chat);
  });

  it('decodes wrapped unions by branch name', () => {
    const c = createSourceCodec(registry, { format: 'json', schemaId: 1 });
    expect(c.decode(json(telemetry('k'))).value).toMatchObject({
      body: { 'io.sluice.KeyEvent': { key: 'k' } },
    });
  });

  it.each([
    ['not JSON', Buffer.from('{"conversationId": '), ErrorCodes.DECODE_FAILED, /not valid JSON/],
    [
      'invalid UTF-8',
      Buffer.concat([json(chat).subarray(0, 20), Buffer.from([0xff]), json(chat).subarray(21)]),
      ErrorCodes.INVALID_UTF8,
      /UTF-8/,
    ],
    [
      'a missing field',
      json({ ...chat, text: undefined }),
      ErrorCodes.DECODE_FAILED,
      /at text \(expected string\)/,
    ],
    [
      'an undeclared field',
      json({ ...chat, hidden: 'AKIAIOSFODNN7EXAMPLE' }),
      ErrorCodes.DECODE_FAILED,
      /does not match/,
    ],
    [
      'a wrong type in a map value',
      json({ ...chat, metadata: { secretKeyName: 5 } }),
      ErrorCodes.DECODE_FAILED,
      /at metadata\{\*\}/,
    ],
    [
      'a duplicate key',
      Buffer.from(
        json(chat).toString().replace('"text":"hello"', '"text":"AKIAIOSFODNN7EXAMPLE","text":"hello"'),
      ),
      ErrorCodes.DECODE_FAILED,
      /duplicate/,
    ],
  ])('rejects %s', (_n, buf, code, message) => {
    let err: unknown;
    try {
      codec.decode(buf);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toMatch(/AKIA|secretKeyName/);
  });

  it('rejects a __proto__ key', () => {
    const buf = Buffer.from(
      json(chat).toString().replace('"metadata":{"client":"web"}', '"metadata":{"__proto__":"x"}'),
    );
    expect(() => codec.decode(buf)).toThrow(expect.objectContaining({ code: ErrorCodes.DECODE_FAILED }));
  });

  it('does not count colons inside strings as keys', () => {
    expect(() =>
      codec.decode(json({ ...chat, text: 'a: "b": \\": c', metadata: { 'x:y': 'z:' } })),
    ).not.toThrow();
  });
});
