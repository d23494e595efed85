/**
 * fast-check arbitraries for avsc in-memory values of any compiled schema, plus a reference
 * list of every string in such a value (computed independently of the field walker).
 */
import * as fc from 'fast-check';
import type { AvroNode } from '../../src/codec/avro-node';

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', 'AKIAIOSFODNN7EXAMPLE', 'a.b[0]{1}'),
);

export function arbitraryValue(node: AvroNode, depth = 0): fc.Arbitrary<unknown> {
  switch (node.kind) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'int':
      return fc.integer();
    case 'long':
      // avsc's own safe range is one short of Number.MAX_SAFE_INTEGER on each side.
      return fc.integer({ min: -9007199254740990, max: 9007199254740990 });
    case 'float':
      return fc.float({ noNaN: true }).map((f) => Math.fround(f));
    case 'double':
      return fc.double({ noNaN: true });
    case 'string':
      return text;
    case 'bytes':
      return fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b));
    case 'fixed':
      return fc.uint8Array({ minLength: node.size, maxLength: node.size }).map((b) => Buffer.from(b));
    case 'enum':
      return fc.constantFrom(...node.symbols);
    case 'array':
      return fc.array(arbitraryValue(node.items, depth + 1), { maxLength: depth > 3 ? 0 : 3 });
    case 'map':
      return fc
        .uniqueArray(
          fc.tuple(
            text.filter((k) => k !== '__proto__'),
            arbitraryValue(node.values, depth + 1),
          ),
          { selector: (e) => e[0], maxLength: 3 },
        )
        .map((entries) => Object.fromEntries(entries));
    case 'record': {
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const f of node.fields) shape[f.name] = arbitraryValue(f.node, depth + 1);
      return fc.record(shape);
    }
    case 'union':
      return fc.oneof(
        ...node.branches.map((b) =>
          b.node.kind === 'null' || !node.wrapped
            ? arbitraryValue(b.node, depth + 1)
            : arbitraryValue(b.node, depth + 1).map((v) => ({ [b.branchName]: v })),
        ),
      );
  }
}

/** Every string value in `value` (not enum symbols, not map keys), in no particular order. */
export function allStrings(node: AvroNode, value: unknown, out: string[] = []): string[] {
  switch (node.kind) {
    case 'string':
      out.push(value as string);
      break;
    case 'array':
      for (const v of value as unknown[]) allStrings(node.items, v, out);
      break;
    case 'map':
      for (const v of Object.values(value as object)) allStrings(node.values, v, out);
      break;
    case 'record':
      for (const f of node.fields) allStrings(f.node, (value as Record<string, unknown>)[f.name], out);
      break;
    case 'union': {
      if (value === null) break;
      if (node.wrapped) {
        const [name, inner] = Object.entries(value as object)[0]!;
        allStrings(node.branches.find((b) => b.branchName === name)!.node, inner, out);
      } else {
        const branch = node.branches.find((b) => b.node.kind !== 'null')!;
        allStrings(branch.node, value, out);
      }
      break;
    }
    default:
      break;
  }
  return out;
}
