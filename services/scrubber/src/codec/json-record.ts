/**
 * JSON-encoded sources (a per-source option): a UTF-8 JSON document whose shape is avsc's
 * in-memory form of the source's schema (optional fields as plain values or null, ambiguous
 * unions wrapped by branch name, e.g. `{"io.sluice.KeyEvent": {...}}`). bytes/fixed cannot
 * be carried and are rejected.
 *
 * Fail-closed details: JSON.parse keeps only the last of duplicate keys and avsc ignores
 * undeclared fields; either would let bytes pass to clean unscanned, so both are rejected.
 */
import { isUtf8 } from 'node:buffer';
import type * as avsc from 'avsc';
import { ErrorCodes, SluiceError } from '../errors';
import type { AvroNode } from './avro-node';
import { describeAvscPath } from './schema-path';

export function decodeJsonValue(buf: Uint8Array, type: avsc.Type, node: AvroNode): unknown {
  if (!isUtf8(buf)) {
    throw new SluiceError(ErrorCodes.INVALID_UTF8, 'json record is not valid UTF-8', {
      hint: 'producer must write UTF-8 JSON',
    });
  }
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input around the error position: never surface them.
    throw new SluiceError(ErrorCodes.DECODE_FAILED, 'json record is not valid JSON', {
      hint: 'producer must write JSON',
    });
  }
  if (countKeySeparators(text) !== countKeys(value)) {
    throw new SluiceError(ErrorCodes.DECODE_FAILED, 'json record has duplicate object keys', {
      hint: 'a duplicate key would hide its first value from scanning',
    });
  }
  let failedPath: string | undefined;
  let expected = '';
  const ok = type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (parts: string[], _val: unknown, t: avsc.Type) => {
      if (failedPath === undefined) {
        failedPath = describeAvscPath(node, parts);
        expected = t.typeName;
      }
    },
  });
  if (!ok) {
    throw new SluiceError(
      ErrorCodes.DECODE_FAILED,
      `json record does not match its schema at ${failedPath ?? '(root)'} (expected ${expected})`,
      {
        hint: 'check the source schema id and the producer, undeclared fields are rejected',
      },
    );
  }
  return value;
}

export function encodeJsonValue(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Colons outside strings: in valid JSON each is exactly one object member separator. */
function countKeySeparators(text: string): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a /* : */) count++;
  }
  return count;
}

function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countKeys(v);
    return n;
  }
  for (const k of Object.keys(value)) {
    // avsc's clone (used by rewrite) assigns keys into plain objects, where this one vanishes.
    if (k === '__proto__') {
      throw new SluiceError(ErrorCodes.DECODE_FAILED, 'json record has a __proto__ key', {
        hint: 'such a key cannot be represented safely',
      });
    }
    n += 1 + countKeys((value as Record<string, unknown>)[k]);
  }
  return n;
}
