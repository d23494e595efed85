/**
 * Field paths, shared by the wire check (error messages), the field walker (scan texts,
 * findings) and the rewriter. Format:
 *   record field   `a.b`            array item    `attachments[0]`
 *   wrapped union  `body.KeyEvent`  map value     `metadata{2}`   map key  `metadata{2}.$key`
 * Map entries are addressed by POSITION, never by key: keys are payload data and paths end up
 * in audit records and logs. `$` cannot appear in an Avro name, so `.$key` is unambiguous.
 */
export type PathSegment = string | number | MapEntrySegment | MapKeySegment;

/** A map entry by position. */
export interface MapEntrySegment {
  readonly entry: number;
}
/** The key of the map entry just before it on the path. */
export interface MapKeySegment {
  readonly key: true;
}

export const MAP_KEY_SEGMENT: MapKeySegment = Object.freeze({ key: true as const });

export function appendField(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}
export function appendIndex(prefix: string, index: number): string {
  return `${prefix}[${index}]`;
}
export function appendMapEntry(prefix: string, entry: number): string {
  return `${prefix}{${entry}}`;
}
export function appendMapKey(prefix: string): string {
  return `${prefix}.$key`;
}

export function formatPath(segments: readonly PathSegment[], prefix = ''): string {
  let out = prefix;
  for (const s of segments) {
    if (typeof s === 'string') out = appendField(out, s);
    else if (typeof s === 'number') out = appendIndex(out, s);
    else if ('entry' in s) out = appendMapEntry(out, s.entry);
    else out = appendMapKey(out);
  }
  return out === '' ? '(root)' : out;
}
