/**
 * Enumerates every scannable leaf of a decoded record in a fixed order, with a stable path.
 *
 * Redactable leaves are strings: a placeholder can replace a span. Everything else that can
 * carry data is scanned but NOT redactable, so a finding there must quarantine the record:
 * enum symbols, int/long/float/double (as decimal text: a card number fits in a long),
 * bytes and fixed (UTF-8 text when valid, else latin1 so every byte maps to one char),
 * and map keys. Booleans and nulls carry no text.
 *
 * Leaf order is the schema's field order, array/map iteration order (map: key leaf, then its
 * value), so `leafIndex` is stable for a given value and `rewrite.ts` addresses leaves by it.
 */
import { isUtf8 } from 'node:buffer';
import type { ScanText } from '../scan/types';
import { unionBranchOf } from './avro-node';
import type { AvroNode } from './avro-node';
import { appendField, appendIndex, appendMapEntry, appendMapKey } from './field-path';

export interface WalkedFields {
  /** One item per leaf; `path` is prefixed with the caller's prefix, e.g. `value.text`. */
  readonly texts: ScanText[];
  /** Parallel to `texts`: can a placeholder be written into this leaf? */
  readonly redactable: boolean[];
}

export function walkFields(node: AvroNode, value: unknown, pathPrefix = ''): WalkedFields {
  const w = new Traversal(null);
  w.visit(node, value, pathPrefix);
  return { texts: w.texts, redactable: w.redactable };
}

/**
 * Shared by the walker (collect mode) and the rewriter (replace mode, `replacements` set):
 * one traversal so leaf numbering can never diverge between the two.
 * In replace mode `visit` returns the new value for the slot, and paths are not built.
 */
export class Traversal {
  readonly texts: ScanText[] = [];
  readonly redactable: boolean[] = [];
  leaf = 0;
  private readonly collect: boolean;

  constructor(private readonly replacements: ReadonlyMap<number, string> | null) {
    this.collect = replacements === null;
  }

  visit(node: AvroNode, value: unknown, path: string): unknown {
    switch (node.kind) {
      case 'null':
      case 'boolean':
        return value;
      case 'string': {
        const i = this.leaf++;
        if (this.collect) this.push(path, value as string, true);
        else {
          const r = this.replacements!.get(i);
          if (r !== undefined) return r;
        }
        return value;
      }
      case 'enum':
        this.scalar(path, value as string);
        return value;
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        this.scalar(path, this.collect ? String(value) : '');
        return value;
      case 'bytes':
      case 'fixed':
        this.scalar(path, this.collect ? bytesAsText(value as Uint8Array) : '');
        return value;
      case 'record': {
        const obj = value as Record<string, unknown>;
        for (const f of node.fields) {
          const before = obj[f.name];
          const after = this.visit(f.node, before, this.collect ? appendField(path, f.name) : '');
          if (after !== before) obj[f.name] = after;
        }
        return value;
      }
      case 'array': {
        const arr = value as unknown[];
        for (let i = 0; i < arr.length; i++) {
          const before = arr[i];
          const after = this.visit(node.items, before, this.collect ? appendIndex(path, i) : '');
          if (after !== before) arr[i] = after;
        }
        return value;
      }
      case 'map': {
        const obj = value as Record<string, unknown>;
        const keys = Object.keys(obj);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          const entryPath = this.collect ? appendMapEntry(path, i) : '';
          this.scalar(this.collect ? appendMapKey(entryPath) : '', key);
          const before = obj[key];
          const after = this.visit(node.values, before, entryPath);
          if (after !== before) obj[key] = after;
        }
        return value;
      }
      case 'union': {
        const branch = unionBranchOf(node, value);
        // A value the schema cannot place came from outside the codec; decode never yields one.
        if (branch === undefined) throw new TypeError(`value does not fit union at ${path || '(root)'}`);
        if (branch.node.kind === 'null') return value;
        if (!node.wrapped) return this.visit(branch.node, value, path);
        const holder = value as Record<string, unknown>;
        const before = holder[branch.branchName];
        const after = this.visit(branch.node, before, this.collect ? appendField(path, branch.label) : '');
        if (after !== before) holder[branch.branchName] = after;
        return value;
      }
    }
  }

  /** A scanned, non-redactable leaf. */
  private scalar(path: string, text: string): void {
    this.leaf++;
    if (this.collect) this.push(path, text, false);
  }

  private push(path: string, text: string, redactable: boolean): void {
    this.texts.push({ path: path === '' ? '(root)' : path, text });
    this.redactable.push(redactable);
  }
}

function bytesAsText(b: Uint8Array): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
  return isUtf8(buf) ? buf.toString('utf8') : buf.toString('latin1');
}
