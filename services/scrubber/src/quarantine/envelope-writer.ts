import { randomBytes, type KeyObject } from 'node:crypto';
import type { SchemaRegistry } from '../codec/schema-registry';
import { encodeAvro } from '../codec/record-codec';
import type { LocatedFinding } from '../route/decide';
import type { HeaderList } from '../route/headers';
import { encryptPayload, encryptWithDataKey } from './payload-cipher';

/** Registry ids of the schemas Sluice writes (schemas/registry.json). */
export const SchemaIds = { envelope: 3, audit: 4, quarantinedRecord: 5, dataKey: 6 } as const;
export const DATA_KEY_VERSION = 1;
export const ENVELOPE_VERSION = 1;

export interface EnvelopeInput {
  source: {
    topic: string;
    partition: number;
    offset: string;
    timestampMs: number;
    keyFingerprint: string | null;
  };
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

/**
 * The additional authenticated data that binds a ciphertext to its source record (and, in the
 * data-key layout, to its envelope id, which is also the key of its data-key record).
 */
export function payloadAad(
  plaintextSchemaId: number,
  topic: string,
  partition: number,
  offset: string,
  envelopeId?: string | null,
): Buffer {
  const base = `${plaintextSchemaId}|${topic}/${partition}/${offset}`;
  return Buffer.from(envelopeId ? `${base}|${envelopeId}` : base, 'utf8');
}

export interface EnvelopeWriterOptions {
  /**
   * Crypto-shredding: write each payload's data key, wrapped, to this compacted topic (keyed by
   * envelope id, in the same transaction) instead of deriving it from the envelope. Null/absent:
   * the self-contained ECIES layout.
   */
  dataKeyTopic?: string | null;
}

/** What one quarantined record produces: the envelope, and its data-key record in the data-key layout. */
export interface WrittenEnvelope {
  envelopeId: string;
  value: Buffer;
  /** Key and value of the data-key record (value encodes io.sluice.QuarantineDataKey); null in the inline layout. */
  dataKey: { topic: string; key: Buffer; value: Buffer } | null;
}

/** Builds QuarantineEnvelope records; the original bytes are only ever written encrypted. */
export class EnvelopeWriter {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly publicKey: KeyObject,
    private readonly keyId: string,
    private readonly instanceId: string,
    private readonly options: EnvelopeWriterOptions = {},
  ) {}

  /** True when payload data keys go to a separate topic (see EnvelopeWriterOptions.dataKeyTopic). */
  get dataKeyTopic(): string | null {
    return this.options.dataKeyTopic ?? null;
  }

  /** The envelope bytes. Only for the inline layout: the data-key layout needs writeRecord(). */
  write(input: EnvelopeInput): Buffer {
    if (this.dataKeyTopic)
      throw new Error('EnvelopeWriter.write() would drop the data key; use writeRecord()');
    return this.writeRecord(input).value;
  }

  writeRecord(input: EnvelopeInput): WrittenEnvelope {
    const { source } = input;
    const envelopeId = randomBytes(16).toString('hex');
    const dataKeyTopic = this.dataKeyTopic;
    let payload: Record<string, unknown>;
    let dataKey: WrittenEnvelope['dataKey'] = null;
    if (input.carry && dataKeyTopic) {
      const plaintext = this.plaintext(input);
      const aad = payloadAad(
        SchemaIds.quarantinedRecord,
        source.topic,
        source.partition,
        source.offset,
        envelopeId,
      );
      const enc = encryptWithDataKey(this.publicKey, this.keyId, plaintext, aad, envelopeId);
      plaintext.fill(0);
      payload = {
        'io.sluice.EncryptedPayload': {
          keyId: this.keyId,
          alg: enc.payload.alg,
          // No key material in the envelope: the wrapped data key lives only in dataKeyTopic.
          ephemeralPublicKey: Buffer.alloc(0),
          iv: enc.payload.iv,
          tag: enc.payload.tag,
          plaintextSchemaId: SchemaIds.quarantinedRecord,
          ciphertext: enc.payload.ciphertext,
        },
      };
      const w = enc.wrappedKey;
      dataKey = {
        topic: dataKeyTopic,
        key: Buffer.from(envelopeId),
        value: encodeAvro(this.registry, SchemaIds.dataKey, {
          keyVersion: DATA_KEY_VERSION,
          envelopeId,
          source: `${source.topic}/${source.partition}/${source.offset}`,
          keyId: w.keyId,
          alg: w.alg,
          ephemeralPublicKey: w.ephemeralPublicKey,
          iv: w.iv,
          tag: w.tag,
          wrappedKey: w.ciphertext,
          createdAtMs: Date.now(),
        }),
      };
    } else if (input.carry) {
      const plaintext = this.plaintext(input);
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
    const value = encodeAvro(this.registry, SchemaIds.envelope, {
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
        label: f.label,
      })),
      rulesetVersion: input.rulesetVersion,
      instanceId: this.instanceId,
      payload,
      decidedAtMs: Date.now(),
      envelopeId,
      dataKeyTopic: dataKey ? dataKeyTopic : null,
    });
    return { envelopeId, value, dataKey };
  }

  private plaintext(input: EnvelopeInput): Buffer {
    return encodeAvro(this.registry, SchemaIds.quarantinedRecord, {
      key: input.original.key,
      value: input.original.value,
      headers: input.original.headers.map((h) => ({ key: h.name, value: h.value })),
      timestampMs: input.source.timestampMs,
    });
  }
}
