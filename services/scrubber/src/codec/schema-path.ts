/**
 * Turns the path avsc's `isValid` errorHook reports (field names, array indexes, map keys,
 * branch names) into a field path without map keys, which are payload data.
 */
import type { AvroNode } from './avro-node';
import { appendField, appendIndex } from './field-path';

export function describeAvscPath(root: AvroNode, parts: readonly string[], prefix = ''): string {
  let node: AvroNode | undefined = root;
  let out = prefix;
  for (const part of parts) {
    node = skipUnwrapped(node);
    if (node === undefined) return `${out}…`;
    switch (node.kind) {
      case 'record': {
        const field: { name: string; node: AvroNode } | undefined = node.fields.find((f) => f.name === part);
        if (!field) return `${appendField(out, '?')}`;
        out = appendField(out, field.name);
        node = field.node;
        break;
      }
      case 'array':
        out = /^\d+$/.test(part) ? appendIndex(out, Number(part)) : `${out}[?]`;
        node = node.items;
        break;
      case 'map':
        out = `${out}{*}`;
        node = node.values;
        break;
      case 'union': {
        const branch = node.branches.find((b) => b.branchName === part);
        if (!branch) return `${out}…`;
        out = appendField(out, branch.label);
        node = branch.node;
        break;
      }
      default:
        return out;
    }
  }
  return out === '' ? '(root)' : out;
}

function skipUnwrapped(node: AvroNode | undefined): AvroNode | undefined {
  while (node && node.kind === 'union' && !node.wrapped) {
    const nonNull = node.branches.filter((b) => b.node.kind !== 'null');
    if (nonNull.length !== 1) return node;
    node = nonNull[0]!.node;
  }
  return node;
}
