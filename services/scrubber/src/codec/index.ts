/** The record codec: schemas, fail-closed decoding, field walking and rewriting. */
export type { AvroNode, AvroField, UnionNode, UnionBranch } from './avro-node';
export { compileNode, typeForSchema, AVSC_TYPE_OPTIONS } from './avro-node';
export { SchemaRegistry, DEFAULT_REGISTRY_PATH } from './schema-registry';
export type { RegisteredSchema } from './schema-registry';
export { decodeAvro, encodeAvro, decodeJson, encodeJson, createSourceCodec } from './record-codec';
export type { DecodedRecord, SourceCodec, SourceFormat } from './record-codec';
export { walkFields } from './field-walker';
export type { WalkedFields } from './field-walker';
export { rewriteValue, rewriteValueByPath, rewriteRecord } from './rewrite';
export { readFrameHeader, writeFrameHeader, WIRE_HEADER_BYTES, WIRE_MAGIC } from './wire-format';
export { checkAvroBody } from './wire-check';
export { sha256Hex } from './sha256';
