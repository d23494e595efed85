import type { KeyObject } from 'node:crypto';
import type { SchemaRegistry } from '../codec/schema-registry';
import { encodeAvro } from '../codec/record-codec';
import type { LocatedFinding } from '../route/decide';
import type { HeaderList } from '../route/headers';
import { encryptPayload } from './payload-cipher';

/** Registry ids of the schemas Sluice writes (schemas/registry.json). */
export const SchemaIds = { envelope: 3, audit: 4, quarantinedRecord: 5 } as const;
export const ENVELOPE_VERSION = 1;

export interface EnvelopeInput {
  source: { topic: string; partition: number; offset: string; timestampMs: number; keyFingerprint: string | null };
  reason: string;
  detail?: string | null;
  findings: readonly LocatedFinding[];
  original: { key: Buffer | null; value: Buffer | null; headers: HeaderList };
  size: number;
  /** False for records too large to carry: they go by reference (coordinates, SHA-256, size). */
  carry: boolean;
  sha256: string | null;
  rulesetVersion: string;
}

/** The additional authenticated data that binds a ciphertext to its source record. */
export function payloadAad(plaintextSchemaId: number, topic: string, partition: number, offset: string): Buffer {
  return Buffer.from(`${plaintextSchemaId}|${topic}/${partition}/${offset}`, 'utf8');
}

/** Builds QuarantineEnvelope records; the original bytes are only ever written encrypted. */
export class EnvelopeWriter {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly publicKey: KeyObject,
    private readonly keyId: string,
    private readonly instanceId: string,
  ) {}

  write(input: EnvelopeInput): Buffer {
    const { source } = input;
    let payload: Record<string, unknown>;
    if (input.carry) {
      const plaintext = encodeAvro(this.registry, SchemaIds.quarantinedRecord, {
        key: input.original.key,
        value: input.original.value,
        headers: input.original.headers.map((h) => ({ key: h.name, value: h.value })),
        timestampMs: source.timestampMs,
      });
      const enc = encryptPayload(
        this.publicKey,
        this.keyId,
        plaintext,
        payloadAad(SchemaIds.quarantinedRecord, source.topic, source.partition, source.offset),
      );
      plaintext.fill(0);
      payload = {
        'io.sluice.EncryptedPayload': {
          keyId: enc.keyId,
          alg: enc.alg,
          ephemeralPublicKey: enc.ephemeralPublicKey,
          iv: enc.iv,
          tag: enc.tag,
          plaintextSchemaId: SchemaIds.quarantinedRecord,
          ciphertext: enc.ciphertext,
        },
      };
    } else {
      payload = {
        'io.sluice.PayloadReference': {
          sha256: input.sha256 ?? '',
          sizeBytes: input.size,
          note: 'record too large to carry; fetch it from the source topic by its coordinates while retention lasts',
        },
      };
    }
    return encodeAvro(this.registry, SchemaIds.envelope, {
      envelopeVersion: ENVELOPE_VERSION,
      source: {
        topic: source.topic,
        partition: source.partition,
        offset: Number(source.offset),
        timestampMs: source.timestampMs,
        keyFingerprint: source.keyFingerprint,
      },
      reason: input.reason,
      detail: input.detail ?? null,
      findings: input.findings.map((f) => ({
        ruleId: f.ruleId,
        category: f.category,
        action: f.action,
        fieldPath: f.path,
        start: f.start,
        end: f.end,
        fingerprint: f.fingerprint,
        preview: f.preview,
      })),
      rulesetVersion: input.rulesetVersion,
      instanceId: this.instanceId,
      payload,
      decidedAtMs: Date.now(),
    });
  }
}
