/**
 * Applies new string values (text with placeholders) to a COPY of a decoded record and
 * re-encodes it with the same schema id and framing. Leaves are addressed by the walker's
 * leaf index (cheapest, unambiguous) or by its path.
 */
import { ErrorCodes, SluiceError } from '../errors';
import { Traversal, walkFields } from './field-walker';
import type { DecodedRecord, SourceCodec } from './record-codec';

/** Returns a deep copy of `record.value` with the given leaves replaced. The input is not modified. */
export function rewriteValue(record: DecodedRecord, replacements: ReadonlyMap<number, string>): unknown {
  if (replacements.size === 0) return record.type.clone(record.value);
  const { redactable } = walkFields(record.node, record.value);
  for (const index of replacements.keys()) {
    if (!(index >= 0 && index < redactable.length)) {
      throw new SluiceError(
        ErrorCodes.UNREDACTABLE_FIELD,
        `leaf ${index} does not exist (record has ${redactable.length})`,
      );
    }
    if (!redactable[index]) {
      throw new SluiceError(
        ErrorCodes.UNREDACTABLE_FIELD,
        `leaf ${index} is not a string and cannot hold a placeholder`,
        {
          hint: 'quarantine the record instead',
        },
      );
    }
  }
  const copy = record.type.clone(record.value) as unknown;
  new Traversal(replacements).visit(record.node, copy, '');
  return copy;
}

/**
 * Path-addressed variant: paths exactly as `walkFields(node, value, pathPrefix)` reports them
 * (e.g. `value.text` with prefix `value`). An unknown path is an error, never ignored.
 */
export function rewriteValueByPath(
  record: DecodedRecord,
  byPath: ReadonlyMap<string, string>,
  pathPrefix = '',
): unknown {
  const { texts } = walkFields(record.node, record.value, pathPrefix);
  const byIndex = new Map<number, string>();
  const seen = new Set<string>();
  for (let i = 0; i < texts.length; i++) {
    const replacement = byPath.get(texts[i]!.path);
    if (replacement !== undefined) {
      byIndex.set(i, replacement);
      seen.add(texts[i]!.path);
    }
  }
  if (seen.size !== byPath.size) {
    throw new SluiceError(
      ErrorCodes.UNREDACTABLE_FIELD,
      `${byPath.size - seen.size} rewrite path(s) do not exist in the record`,
    );
  }
  return rewriteValue(record, byIndex);
}

/** Rewrite and re-encode in the source's format, with the record's own schema id. */
export function rewriteRecord(
  codec: SourceCodec,
  record: DecodedRecord,
  replacements: ReadonlyMap<number, string>,
): Buffer {
  return codec.encode(record.schemaId, rewriteValue(record, replacements));
}
