import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IHeaders, Kafka } from 'kafkajs';
import type { SourceCoordinates } from '../audit/audit-record';
import type { SchemaRegistry } from '../codec/schema-registry';
import { decodeAvro } from '../codec/record-codec';
import type { ResolvedSource, SluiceConfig } from '../config/load-config';
import { ErrorCodes, SluiceError } from '../errors';
import { AvroValueCodec } from '../route/avro-value-codec';
import { SluiceHeaders, toKafkaHeaders, type HeaderList } from '../route/headers';
import { redactText } from '../scan/redact';
import type { Finding } from '../scan/types';
import { readTopics } from '../security/topic-reader';
import { readDataKeys } from './data-key-store';
import { payloadAad } from './envelope-writer';
import { decryptPayload, decryptWithDataKey, DEK_PAYLOAD_ALG } from './payload-cipher';

/** A decoded io.sluice.QuarantineEnvelope (schemas/quarantine-envelope.avsc). */
export interface QuarantineEnvelope {
  envelopeVersion: number;
  source: SourceCoordinates;
  reason: string;
  detail: string | null;
  findings: Array<{
    ruleId: string;
    category: string;
    action: string;
    fieldPath: string;
    start: number;
    end: number;
    fingerprint: string;
    preview: string;
    label: string;
  }>;
  rulesetVersion: string;
  instanceId: string;
  payload: {
    'io.sluice.EncryptedPayload'?: {
      keyId: string;
      alg: string;
      ephemeralPublicKey: Buffer;
      iv: Buffer;
      tag: Buffer;
      plaintextSchemaId: number;
      ciphertext: Buffer;
    };
    'io.sluice.PayloadReference'?: { sha256: string; sizeBytes: number; note: string };
  };
  decidedAtMs: number | Date;
  envelopeId: string | null;
  dataKeyTopic: string | null;
}

export interface Coordinates {
  topic: string;
  partition: number;
  offset: string;
}

export interface QuarantineItem {
  /** Where the envelope sits in its quarantine topic: the id the CLI uses. */
  at: Coordinates;
  envelope: QuarantineEnvelope;
}

/** The original record, as the scrubber received it. */
export interface OpenedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  timestampMs: number;
}

export function parseCoordinates(ref: string): Coordinates {
  const m = /^(.+)\/(\d+)\/(\d+)$/.exec(ref);
  if (!m) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `'${ref}' is not topic/partition/offset`, {
      hint: 'use the id `sluice quarantine list` prints, e.g. quarantine.chat/1/42',
    });
  }
  return { topic: m[1]!, partition: Number(m[2]), offset: m[3]! };
}

export function formatCoordinates(c: { topic: string; partition: number; offset: string | number }): string {
  return `${c.topic}/${c.partition}/${c.offset}`;
}

const ms = (v: number | Date): number => (v instanceof Date ? v.getTime() : Number(v));

/** Security's private key, or a clear refusal: nothing is decrypted without it. */
export function loadPrivateKey(file: string | undefined): KeyObject {
  if (!file) {
    throw new SluiceError(
      ErrorCodes.PRIVATE_KEY_MISSING,
      'decrypting a quarantined payload needs the security private key',
      {
        hint: 'pass --private-key <quarantine-private.pem> (or SLUICE_QUARANTINE_PRIVATE_KEY_FILE); only security holds it',
      },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.PRIVATE_KEY_MISSING,
      `cannot read a private key from ${file}: ${(err as NodeJS.ErrnoException).code ?? 'not a PEM private key'}`,
      {
        hint: 'use quarantine-private.pem written by `sluice keys generate`',
      },
    );
  }
  if (key.asymmetricKeyType !== 'x25519') {
    throw new SluiceError(
      ErrorCodes.PRIVATE_KEY_MISSING,
      `${file} holds a ${key.asymmetricKeyType} key; the quarantine key is X25519`,
    );
  }
  return key;
}

export interface QuarantineFilter {
  /** Source names (config `sources[].name`) to read; default all. */
  sources?: string[];
  sinceMs?: number;
  untilMs?: number;
  rule?: string;
  category?: string;
  reason?: string;
  keyFingerprint?: string;
  /** A finding's keyed fingerprint (the same value in any record gives the same one). */
  fingerprint?: string;
  /** The original (raw) topic. */
  sourceTopic?: string;
}

export function matches(e: QuarantineEnvelope, f: QuarantineFilter): boolean {
  const t = ms(e.decidedAtMs);
  if (f.sinceMs !== undefined && t < f.sinceMs) return false;
  if (f.untilMs !== undefined && t > f.untilMs) return false;
  if (f.rule && !e.findings.some((x) => x.ruleId === f.rule)) return false;
  if (f.category && !e.findings.some((x) => x.category === f.category)) return false;
  if (f.reason && e.reason !== f.reason) return false;
  if (f.keyFingerprint && e.source.keyFingerprint !== f.keyFingerprint) return false;
  if (f.fingerprint && !e.findings.some((x) => x.fingerprint === f.fingerprint)) return false;
  if (f.sourceTopic && e.source.topic !== f.sourceTopic) return false;
  return true;
}

/** Reads the quarantine topics and keeps what matches; ciphertext is never decrypted here. */
export class QuarantineReview {
  constructor(
    private readonly kafka: Kafka,
    private readonly registry: SchemaRegistry,
    private readonly config: SluiceConfig,
    private readonly groupPrefix: string,
  ) {}

  private sourcesFor(names: string[] | undefined): ResolvedSource[] {
    if (!names || names.length === 0) return this.config.sources;
    const out = this.config.sources.filter((s) => names.includes(s.name) || names.includes(s.topic));
    if (out.length === 0) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `no source named ${names.join(', ')}`, {
        hint: `configured sources: ${this.config.sources.map((s) => s.name).join(', ')}`,
      });
    }
    return out;
  }

  async list(filter: QuarantineFilter = {}, limit = Infinity): Promise<QuarantineItem[]> {
    const topics = this.sourcesFor(filter.sources).map((s) => s.outputs.quarantine);
    const items: QuarantineItem[] = [];
    await readTopics(this.kafka, {
      topics,
      groupPrefix: this.groupPrefix,
      onMessage: (m) => {
        if (!m.value) return;
        const envelope = decodeAvro(this.registry, m.value).value as QuarantineEnvelope;
        if (!matches(envelope, filter)) return;
        items.push({ at: { topic: m.topic, partition: m.partition, offset: m.offset }, envelope });
        return items.length >= limit;
      },
    });
    items.sort((a, b) =>
      a.at.topic === b.at.topic
        ? a.at.partition - b.at.partition || Number(BigInt(a.at.offset) - BigInt(b.at.offset))
        : a.at.topic < b.at.topic
          ? -1
          : 1,
    );
    return items;
  }

  async get(at: Coordinates): Promise<QuarantineItem> {
    if (!this.config.sources.some((s) => s.outputs.quarantine === at.topic)) {
      throw new SluiceError(
        ErrorCodes.RECORD_NOT_FOUND,
        `${at.topic} is not a quarantine topic of this config`,
        {
          hint: `quarantine topics: ${this.config.sources.map((s) => s.outputs.quarantine).join(', ')}`,
        },
      );
    }
    let found: QuarantineItem | null = null;
    await readTopics(this.kafka, {
      topics: [at.topic],
      partitions: { [at.topic]: [at.partition] },
      startOffsets: { [`${at.topic}:${at.partition}`]: at.offset },
      groupPrefix: this.groupPrefix,
      onMessage: (m) => {
        if (m.offset !== at.offset || !m.value) return BigInt(m.offset) > BigInt(at.offset);
        found = {
          at: { topic: m.topic, partition: m.partition, offset: m.offset },
          envelope: decodeAvro(this.registry, m.value).value as QuarantineEnvelope,
        };
        return true;
      },
    });
    if (!found) {
      throw new SluiceError(ErrorCodes.RECORD_NOT_FOUND, `no quarantine record at ${formatCoordinates(at)}`, {
        hint: 'check the id with `sluice quarantine list`; it may be past retention',
      });
    }
    return found;
  }

  /** Decrypts the payload with the private key (and the data key, in the data-key layout). */
  open(item: QuarantineItem, privateKey: KeyObject): Promise<OpenedRecord> {
    return openQuarantined(this.kafka, this.registry, this.groupPrefix, item, privateKey);
  }

  sourceOf(e: QuarantineEnvelope): ResolvedSource {
    const s = this.config.sources.find((x) => x.topic === e.source.topic);
    if (!s) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `source topic ${e.source.topic} is not in this config`,
        {
          hint: 'run the CLI with the config the scrubber used for this record',
        },
      );
    }
    return s;
  }
}

/** Metadata of an envelope fit for a terminal or a case file: everything but the ciphertext. */
export function envelopeSummary(item: QuarantineItem): Record<string, unknown> {
  const e = item.envelope;
  const enc = e.payload['io.sluice.EncryptedPayload'];
  const ref = e.payload['io.sluice.PayloadReference'];
  return {
    id: formatCoordinates(item.at),
    envelopeId: e.envelopeId,
    source: {
      topic: e.source.topic,
      partition: e.source.partition,
      offset: e.source.offset,
      timestamp: new Date(ms(e.source.timestampMs)).toISOString(),
      keyFingerprint: e.source.keyFingerprint,
    },
    reason: e.reason,
    detail: e.detail,
    findings: e.findings.map((f) => ({
      ruleId: f.ruleId,
      category: f.category,
      action: f.action,
      field: f.fieldPath,
      start: f.start,
      end: f.end,
      fingerprint: f.fingerprint,
      preview: f.preview,
    })),
    rulesetVersion: e.rulesetVersion,
    instanceId: e.instanceId,
    decidedAt: new Date(ms(e.decidedAtMs)).toISOString(),
    payload: enc
      ? {
          encrypted: true,
          keyId: enc.keyId,
          alg: enc.alg,
          dataKeyTopic: e.dataKeyTopic,
          bytes: enc.ciphertext.length,
        }
      : { encrypted: false, byReference: ref ?? null },
  };
}

/**
 * The record a release writes. `clean`: the original bytes, key and headers unchanged. `redacted`:
 * each finding of the envelope replaced by the placeholder the scrubber would have written.
 */
export function releasedRecord(
  registry: SchemaRegistry,
  source: ResolvedSource,
  e: QuarantineEnvelope,
  opened: OpenedRecord,
  to: 'clean' | 'redacted',
  principal: string,
): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  const original: HeaderList = opened.headers.map((h) => ({
    name: h.key,
    value: h.value ?? Buffer.alloc(0),
  }));
  let key = opened.key;
  let value = opened.value;
  let headers = original;
  if (to === 'redacted') {
    const asFinding = (f: QuarantineEnvelope['findings'][number]): Finding => ({
      ruleId: f.ruleId,
      category: f.category,
      action: f.action === 'quarantine' ? 'quarantine' : 'redact',
      shadow: false,
      label: f.label || f.ruleId.toUpperCase().replace(/[^A-Z0-9]+/g, '_'),
      start: f.start,
      end: f.end,
      fingerprint: f.fingerprint,
      preview: f.preview,
    });
    const valueFindings = e.findings.filter((f) => f.fieldPath.startsWith('value.'));
    if (valueFindings.length > 0) {
      if (!value)
        throw new SluiceError(ErrorCodes.RELEASE_REFUSED, 'findings point into a value that is absent');
      const codec = new AvroValueCodec(registry, source);
      const decoded = codec.decode(value);
      const { texts } = codec.texts(decoded);
      const replacements = new Map<number, string>();
      for (let i = 0; i < texts.length; i++) {
        const own = valueFindings.filter((f) => f.fieldPath === `value.${texts[i]!.path}`);
        if (own.length > 0) replacements.set(i, redactText(texts[i]!.text, own.map(asFinding)));
      }
      value = codec.rewrite(decoded, replacements);
    }
    const keyFindings = e.findings.filter((f) => f.fieldPath === 'key');
    if (keyFindings.length > 0 && key)
      key = Buffer.from(redactText(key.toString('utf8'), keyFindings.map(asFinding)));
    headers = original.map((h) => {
      const own = e.findings.filter((f) => f.fieldPath === `headers.${h.name}`);
      return own.length > 0
        ? { name: h.name, value: Buffer.from(redactText(h.value.toString('utf8'), own.map(asFinding))) }
        : h;
    });
  }
  const src = `${e.source.topic}/${e.source.partition}/${e.source.offset}`;
  const sluice: HeaderList = [
    { name: SluiceHeaders.verdict, value: Buffer.from(to) },
    { name: SluiceHeaders.ruleset, value: Buffer.from(e.rulesetVersion) },
    { name: SluiceHeaders.source, value: Buffer.from(src) },
    { name: SluiceHeaders.reason, value: Buffer.from(ErrorCodes.RELEASED) },
    { name: 'sluice-released-by', value: Buffer.from(principal) },
  ];
  return {
    key,
    value,
    headers: toKafkaHeaders([...headers.filter((h) => !h.name.startsWith('sluice-')), ...sluice]),
  };
}

/**
 * The original record of a quarantine envelope: the payload decrypted with security's private key
 * (and its data key from the data-key topic, in the crypto-shredding layout). Never logs it.
 */
export async function openQuarantined(
  kafka: Kafka,
  registry: SchemaRegistry,
  groupPrefix: string,
  item: QuarantineItem,
  privateKey: KeyObject,
): Promise<OpenedRecord> {
  const e = item.envelope;
  const enc = e.payload['io.sluice.EncryptedPayload'];
  if (!enc) {
    throw new SluiceError(
      ErrorCodes.RECORD_NOT_FOUND,
      `${formatCoordinates(item.at)} carries no payload (${e.reason}: quarantined by reference)`,
      {
        hint: 'fetch it from the source topic by its coordinates while retention lasts',
      },
    );
  }
  const src = e.source;
  let plain: Buffer;
  if (enc.alg === DEK_PAYLOAD_ALG) {
    if (!e.envelopeId || !e.dataKeyTopic)
      throw new SluiceError(
        ErrorCodes.DECRYPT_FAILED,
        'envelope names a wrapped data key but no envelope id or data-key topic',
      );
    const keys = await readDataKeys(kafka, registry, e.dataKeyTopic, groupPrefix, new Set([e.envelopeId]));
    const dk = keys.get(e.envelopeId);
    if (!dk) {
      throw new SluiceError(
        ErrorCodes.PAYLOAD_SHREDDED,
        `the payload of ${formatCoordinates(item.at)} was crypto-shredded (no data key for envelope ${e.envelopeId})`,
        {
          hint: 'its data key was deleted on purpose (erasure or end of investigation); the payload cannot be recovered',
        },
      );
    }
    plain = decryptWithDataKey(
      privateKey,
      enc,
      dk.wrapped,
      payloadAad(enc.plaintextSchemaId, src.topic, src.partition, String(src.offset), e.envelopeId),
      e.envelopeId,
    );
  } else {
    plain = decryptPayload(
      privateKey,
      enc,
      payloadAad(enc.plaintextSchemaId, src.topic, src.partition, String(src.offset)),
    );
  }
  const r = decodeAvro(registry, plain).value as {
    key: Buffer | null;
    value: Buffer | null;
    headers: Array<{ key: string; value: Buffer | null }>;
    timestampMs: number | Date;
  };
  plain.fill(0);
  return { key: r.key, value: r.value, headers: r.headers, timestampMs: ms(r.timestampMs) };
}
