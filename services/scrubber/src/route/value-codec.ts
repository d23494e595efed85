import type { ScanText } from '../scan/types';

/** A decoded record value: what the codec needs to walk it and write it back. */
export interface DecodedValue {
  schemaId: number;
  /** The decoded Avro value (a plain object). */
  value: unknown;
}

/**
 * How the router sees a source's value encoding. Implemented over avsc in codec/; a fake in
 * unit tests. decode() throws SluiceError with DECODE_FAILED / UNKNOWN_SCHEMA / INVALID_UTF8.
 */
export interface ValueCodec {
  decode(bytes: Buffer): DecodedValue;
  /** Every scannable leaf; paths are relative to the value (`text`, `attachments[0].name`). */
  texts(decoded: DecodedValue): { texts: ScanText[]; redactable: boolean[] };
  /** Re-encode with the same schema and framing, replacing leaves (by their index in texts()) with new strings. */
  rewrite(decoded: DecodedValue, replacements: ReadonlyMap<number, string>): Buffer;
  /** True when the record was typed into a password or otherwise sensitive field. */
  isSensitiveField(decoded: DecodedValue): boolean;
}
