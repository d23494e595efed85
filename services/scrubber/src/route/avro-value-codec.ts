import { createSourceCodec, type DecodedRecord, type SchemaRegistry, type SourceCodec } from '../codec';
import { walkFields } from '../codec/field-walker';
import { rewriteRecord } from '../codec/rewrite';
import type { ResolvedSource } from '../config/load-config';
import type { DecodedValue, ValueCodec } from './value-codec';

interface AvroDecoded extends DecodedValue {
  record: DecodedRecord;
}

/** The router's view of a source's encoding (Avro in Confluent framing, or JSON), over codec/. */
export class AvroValueCodec implements ValueCodec {
  private readonly codec: SourceCodec;

  constructor(registry: SchemaRegistry, source: ResolvedSource) {
    this.codec = createSourceCodec(
      registry,
      source.format === 'json' ? { format: 'json', schemaId: source.jsonSchemaId! } : { format: 'avro' },
    );
  }

  decode(bytes: Buffer): AvroDecoded {
    const record = this.codec.decode(bytes);
    return { schemaId: record.schemaId, value: record.value, record };
  }

  texts(decoded: DecodedValue): { texts: { path: string; text: string }[]; redactable: boolean[] } {
    const r = (decoded as AvroDecoded).record;
    return walkFields(r.node, r.value);
  }

  rewrite(decoded: DecodedValue, replacements: ReadonlyMap<number, string>): Buffer {
    return rewriteRecord(this.codec, (decoded as AvroDecoded).record, replacements);
  }

  /** Telemetry events carry the focused field's kind; password or sensitive fields never pass. */
  isSensitiveField(decoded: DecodedValue): boolean {
    const v = decoded.value as { field?: { kind?: unknown; sensitive?: unknown } | null } | null;
    const field = v && typeof v === 'object' ? v.field : null;
    if (!field || typeof field !== 'object') return false;
    return field.kind === 'PASSWORD' || field.sensitive === true;
  }
}
