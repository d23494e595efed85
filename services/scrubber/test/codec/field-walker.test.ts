import * as fc from 'fast-check';
import { walkFields } from '../../src/codec/field-walker';
import { decodeAvro, encodeAvro } from '../../src/codec/record-codec';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { allStrings, arbitraryValue } from './avro-arbitrary';
import { telemetry } from './fixtures';

const registry = SchemaRegistry.load();

describe('walkFields', () => {
  it('lists chat leaves with stable paths and redactability', () => {
    const value = {
      conversationId: 'c',
      messageId: 'm',
      sender: 's',
      senderDisplay: null,
      visibility: 'DIRECT',
      sentAtMs: 42,
      text: 'hello',
      attachments: [{ name: 'n', mime: 'text/plain', sizeBytes: 7, text: null }],
      metadata: { k1: 'v1' },
    };
    const d = decodeAvro(registry, encodeAvro(registry, 2, value));
    const w = walkFields(d.node, d.value, 'value');
    expect(w.texts.map((t, i) => [t.path, t.text, w.redactable[i]])).toEqual([
      ['value.conversationId', 'c', true],
      ['value.messageId', 'm', true],
      ['value.sender', 's', true],
      ['value.visibility', 'DIRECT', false],
      ['value.sentAtMs', '42', false],
      ['value.text', 'hello', true],
      ['value.attachments[0].name', 'n', true],
      ['value.attachments[0].mime', 'text/plain', true],
      ['value.attachments[0].sizeBytes', '7', false],
      ['value.metadata{0}.$key', 'k1', false],
      ['value.metadata{0}', 'v1', true],
    ]);
  });

  it('names wrapped union branches by short name and scans enum arrays', () => {
    const d = decodeAvro(registry, encodeAvro(registry, 1, telemetry('x')));
    const paths = walkFields(d.node, d.value).texts.map((t) => t.path);
    expect(paths).toContain('body.KeyEvent.key');
    expect(paths).toContain('body.KeyEvent.modifiers[0]');
    expect(paths).toContain('field.kind');
    expect(paths).not.toContain('field.sensitive'); // booleans carry no text
  });

  it('scans bytes as UTF-8 when valid, else latin1, and not redactable', () => {
    const d = decodeAvro(
      registry,
      encodeAvro(registry, 5, {
        key: Buffer.from('user-1'),
        value: Buffer.from([0xff, 0x41]),
        headers: [{ key: 'h', value: null }],
        timestampMs: 1,
      }),
    );
    const w = walkFields(d.node, d.value);
    expect(w.texts.slice(0, 2)).toEqual([
      { path: 'key', text: 'user-1' },
      { path: 'value', text: '\u00ffA' },
    ]);
    expect(w.redactable.slice(0, 2)).toEqual([false, false]);
  });

  it.each([1, 2, 3, 4, 5])('visits every string of a random schema-%i value exactly once', (id) => {
    const s = registry.get(id);
    fc.assert(
      fc.property(arbitraryValue(s.node), (v) => {
        const d = decodeAvro(registry, encodeAvro(registry, id, v));
        const w = walkFields(d.node, d.value);
        const walkedStrings = w.texts.filter((_, i) => w.redactable[i]).map((t) => t.text);
        expect(walkedStrings.sort()).toEqual(allStrings(s.node, d.value).sort());
        expect(new Set(w.texts.map((t) => t.path)).size).toBe(w.texts.length); // paths unique
        expect(w.redactable.length).toBe(w.texts.length);
      }),
      { numRuns: 150 },
    );
  });
});
