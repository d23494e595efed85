/**
 * A typed view of an avsc Type tree. avsc's own typings are mostly `any`, so the
 * rest of the codec walks these nodes instead of poking at avsc internals: the
 * only untyped access is in `compileNode` below.
 */
import * as avsc from 'avsc';

export type AvroNode =
  | { readonly kind: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string' }
  | { readonly kind: 'fixed'; readonly size: number }
  | { readonly kind: 'enum'; readonly symbols: readonly string[] }
  | { readonly kind: 'array'; readonly items: AvroNode }
  | { readonly kind: 'map'; readonly values: AvroNode }
  | { readonly kind: 'record'; readonly name: string; readonly fields: readonly AvroField[] }
  | UnionNode;

export interface AvroField {
  readonly name: string;
  readonly node: AvroNode;
}

export interface UnionNode {
  readonly kind: 'union';
  /**
   * avsc represents a union value either unwrapped (`null` or the bare value, used when
   * branches are unambiguous, e.g. ["null","string"]) or wrapped (`{ "io.sluice.KeyEvent": {...} }`).
   * We let avsc decide (`wrapUnions: 'auto'`) and record its choice here.
   */
  readonly wrapped: boolean;
  readonly branches: readonly UnionBranch[];
}

export interface UnionBranch {
  /** avsc's branch name: the full name for named types (`io.sluice.KeyEvent`), else the type name. */
  readonly branchName: string;
  /** Short name used in field paths: `KeyEvent`, `string`. */
  readonly label: string;
  readonly node: AvroNode;
  /** Membership test, only needed for unwrapped unions with more than one non-null branch. */
  readonly accepts: (value: unknown) => boolean;
}

/** The avsc type options every part of Sluice must agree on, or values would differ in shape. */
export const AVSC_TYPE_OPTIONS = { wrapUnions: 'auto', logicalTypes: {} } as const;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Build the node tree once per schema; recursive schemas reuse the node of the named type. */
export function compileNode(type: avsc.Type): AvroNode {
  return compile(type, new Map());
}

// avsc's Type subclasses expose fields/items/values/types/symbols/size at runtime but its
// d.ts types them loosely; this is the one place that reads them.
interface AvscRuntimeType {
  typeName: string;
  name?: string;
  branchName?: string;
  symbols?: string[];
  size?: number;
  itemsType?: avsc.Type;
  valuesType?: avsc.Type;
  types?: avsc.Type[];
  fields?: { name: string; type: avsc.Type }[];
  underlyingType?: avsc.Type;
}

function compile(type: avsc.Type, named: Map<avsc.Type, AvroNode>): AvroNode {
  const t = type as unknown as AvscRuntimeType;
  const seen = named.get(type);
  if (seen) return seen;
  const typeName = t.typeName;
  if (PRIMITIVES.has(typeName)) return { kind: typeName as 'string' };
  switch (typeName) {
    case 'logical':
      // Without registered logical types avsc does not wrap; kept for safety if one is added.
      return compile(t.underlyingType as avsc.Type, named);
    case 'fixed':
      return { kind: 'fixed', size: t.size as number };
    case 'enum':
      return { kind: 'enum', symbols: [...(t.symbols as string[])] };
    case 'array':
      return { kind: 'array', items: compile(t.itemsType as avsc.Type, named) };
    case 'map':
      return { kind: 'map', values: compile(t.valuesType as avsc.Type, named) };
    case 'record':
    case 'error': {
      const fields: AvroField[] = [];
      const node = { kind: 'record' as const, name: t.name as string, fields };
      named.set(type, node); // before the fields, so recursive references terminate
      for (const f of t.fields as { name: string; type: avsc.Type }[])
        fields.push({ name: f.name, node: compile(f.type, named) });
      return node;
    }
    case 'union:wrapped':
    case 'union:unwrapped': {
      const branches = (t.types as avsc.Type[]).map((bt): UnionBranch => {
        const b = bt as unknown as AvscRuntimeType;
        const branchName = b.branchName ?? b.typeName;
        const dot = branchName.lastIndexOf('.');
        return {
          branchName,
          label: dot >= 0 ? branchName.slice(dot + 1) : branchName,
          node: compile(bt, named),
          accepts: (value: unknown) => bt.isValid(value),
        };
      });
      return { kind: 'union', wrapped: typeName === 'union:wrapped', branches };
    }
    default:
      throw new Error(`unsupported avro type ${typeName}`);
  }
}

/** Parse a schema the way every Sluice component must. */
export function typeForSchema(schema: avsc.Schema): avsc.Type {
  return avsc.Type.forSchema(schema, { ...AVSC_TYPE_OPTIONS });
}

/**
 * The branch an in-memory union value belongs to, or undefined if none.
 * Wrapped: `null` or a single-key object keyed by branch name. Unwrapped: null, or the
 * only non-null branch, or the first branch that accepts the value.
 */
export function unionBranchOf(node: UnionNode, value: unknown): UnionBranch | undefined {
  const branches = node.branches;
  if (value === null || value === undefined) {
    for (const b of branches) if (b.node.kind === 'null') return b;
    return undefined;
  }
  if (node.wrapped) {
    for (const b of branches) {
      if (b.node.kind !== 'null' && Object.prototype.hasOwnProperty.call(value, b.branchName)) return b;
    }
    return undefined;
  }
  let only: UnionBranch | undefined;
  let nonNull = 0;
  for (const b of branches) {
    if (b.node.kind !== 'null') {
      nonNull++;
      only = b;
    }
  }
  if (nonNull === 1) return only;
  for (const b of branches) if (b.node.kind !== 'null' && b.accepts(value)) return b;
  return undefined;
}
