import { createHash, createHmac } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { ErrorCodes, SluiceError, describeError } from '../errors';
import type { Finding, RecordScanResult, RecordScanner, RecordScanRequest, ScanText } from '../scan/types';
import { redactText } from '../scan/redact';
import { decide, failClosed, type LocatedFinding, type RecordDecision } from './decide';
import {
  SluiceHeaders,
  flattenHeaders,
  toKafkaHeaders,
  withoutSluiceHeaders,
  type HeaderList,
} from './headers';
import type { DecodedValue, ValueCodec } from './value-codec';
import type { ResolvedSource } from '../config/load-config';
import type { EnvelopeWriter } from '../quarantine/envelope-writer';

/** One input record as kafkajs hands it over. */
export interface InputMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface OutputMessage {
  topic: string;
  partition: number;
  key: Buffer | null;
  /** null only for a tombstone passed through unchanged. */
  value: Buffer | null;
  headers: IHeaders;
}

export interface RecordOutcome {
  readonly offset: string;
  readonly decision: RecordDecision;
  /** Where the record went. */
  readonly outputTopic: string;
  /** Index into `outputs` of the message produced for this record. */
  readonly outputIndex: number;
  readonly bytesIn: number;
  readonly timestampMs: number;
  /**
   * Keyed HMAC of the input key (null for a null key), for audit and quarantine. Computed on
   * first read: most clean records are audited inside an offset range and never need it.
   */
  readonly keyFingerprint: string | null;
  /** A clean record that may be audited as part of an offset range (audit.cleanRanges). */
  readonly rangeAuditable: boolean;
}

export interface ProcessedBatch {
  outputs: OutputMessage[];
  outcomes: RecordOutcome[];
  scanNanos: number;
}

export interface AnalysedRecord {
  p: Pending;
  /** Per-text findings of the record's own scan; null when it was not scanned (p.early set). */
  findings: Finding[][] | null;
  /** Findings added by context rebuilders (a secret typed across key events, split over messages). */
  extra: LocatedFinding[];
  scanNanos: number;
}

/** Decoded records of a batch and the scan requests of those to be scanned (see `decode`). */
export interface DecodedBatch {
  records: AnalysedRecord[];
  requests: RecordScanRequest[];
  /** Index in `records` of each request. */
  requestOf: number[];
}

export interface BatchProcessorOptions {
  source: ResolvedSource;
  codec: ValueCodec;
  scanner: RecordScanner;
  envelopes: EnvelopeWriter;
  fingerprintKey: Buffer;
  maxRecordBytes: number;
  rulesetVersion: () => string;
  /** Which clean records may share one offset-range audit record. Default `keystrokes`. */
  auditCleanRanges?: 'none' | 'keystrokes' | 'all';
}

/** A record after decoding: what rebuilders and the output builder need. */
export interface Pending {
  msg: InputMessage;
  size: number;
  decoded: DecodedValue | null;
  texts: ScanText[];
  redactable: boolean[];
  /** Index in texts of the key text, -1 when the key is absent. */
  keyIndex: number;
  /** Index in texts where header texts start, and the header list they come from. */
  headerStart: number;
  headers: HeaderList;
  early: RecordDecision | null;
  /**
   * True while `decoded`, `texts` and `redactable` are dropped (`releaseBody`): a held clean
   * record keeps only its input message; `finish` decodes it again if a finding arrives later.
   */
  bodyReleased: boolean;
  /** Keyed HMAC of the input key (null for a null key), computed on first read. */
  readonly keyFingerprint: string | null;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function asText(buf: Buffer): { text: string; utf8: boolean } {
  try {
    return { text: utf8Fatal.decode(buf), utf8: true };
  } catch {
    // Not UTF-8: still scan it (latin1 keeps one char per byte), but it cannot hold a placeholder.
    return { text: buf.toString('latin1'), utf8: false };
  }
}

function isKeyEvent(p: Pending): boolean {
  const body = (p.decoded?.value as { body?: Record<string, unknown> } | undefined)?.body;
  return !!body && typeof body === 'object' && 'io.sluice.KeyEvent' in body;
}

const NO_HEADERS: HeaderList = Object.freeze([]) as unknown as HeaderList;

/**
 * `value.<path>` and `headers.<name>`, made once per distinct path: every record of a schema has
 * the same few, and one string object per path keeps the worker packing's path interning and the
 * hold-backs' path comparisons cheap. Bounded: a flood of distinct paths (map entries, header
 * names) only costs the concatenation again.
 */
const PATH_CACHE_MAX = 4096;
const valuePaths = new Map<string, string>();
const headerPaths = new Map<string, string>();

function cachedPath(cache: Map<string, string>, prefix: string, path: string): string {
  let p = cache.get(path);
  if (p === undefined) {
    p = prefix + path;
    if (cache.size >= PATH_CACHE_MAX) cache.clear();
    cache.set(path, p);
  }
  return p;
}

function valuePath(path: string): string {
  return cachedPath(valuePaths, 'value.', path);
}

function headerPath(name: string): string {
  return cachedPath(headerPaths, 'headers.', name);
}

/** Header values shared by every output (kafkajs only reads header buffers). */
const VERDICT_BYTES: Record<RecordDecision['verdict'], Buffer> = {
  clean: Buffer.from('clean'),
  redacted: Buffer.from('redacted'),
  quarantined: Buffer.from('quarantined'),
};

class PendingRecord implements Pending {
  decoded: DecodedValue | null = null;
  texts: ScanText[] = [];
  redactable: boolean[] = [];
  keyIndex = -1;
  headerStart = 0;
  early: RecordDecision | null = null;
  bodyReleased = false;
  private fingerprint: string | null | undefined;

  constructor(
    readonly msg: InputMessage,
    readonly size: number,
    readonly headers: HeaderList,
    private readonly fingerprintKey: Buffer,
  ) {}

  get keyFingerprint(): string | null {
    if (this.fingerprint === undefined)
      this.fingerprint = this.msg.key
        ? createHmac('sha256', this.fingerprintKey).update(this.msg.key).digest('hex')
        : null;
    return this.fingerprint;
  }
}

/** A record's outcome; the key fingerprint is computed only when something reads it. */
class Outcome implements RecordOutcome {
  constructor(
    private readonly p: Pending,
    readonly decision: RecordDecision,
    readonly outputTopic: string,
    readonly outputIndex: number,
    readonly rangeAuditable: boolean,
  ) {}

  get offset(): string {
    return this.p.msg.offset;
  }

  get bytesIn(): number {
    return this.p.size;
  }

  get timestampMs(): number {
    return Number(this.p.msg.timestamp);
  }

  get keyFingerprint(): string | null {
    return this.p.keyFingerprint;
  }
}

/**
 * Drops a held record's decoded value and texts when it is clean so far (no findings, no early
 * decision): what a hold-back keeps for a second (the chat window holds each message until the
 * next one of its conversation arrives) is then its input message and bookkeeping
 * (`bench/chat-holdback.cjs`: 3.2 -> 2.3 KB of heap per queued chat message). `finish` decodes it
 * again if a finding is added later; the record's own findings (all empty) stay. Returns whether
 * it released.
 */
export function releaseBody(a: AnalysedRecord): boolean {
  const p = a.p;
  if (p.bodyReleased || p.early !== null || a.extra.length > 0 || a.findings === null) return false;
  for (const list of a.findings) if (list.length > 0) return false;
  p.decoded = null;
  p.texts = NO_TEXTS;
  p.redactable = NO_FLAGS;
  p.bodyReleased = true;
  return true;
}

const NO_TEXTS: ScanText[] = Object.freeze([]) as unknown as ScanText[];
const NO_FLAGS: boolean[] = Object.freeze([]) as unknown as boolean[];

function messageSize(m: InputMessage, headers: HeaderList): number {
  let n = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const h of headers) n += h.name.length + h.value.length;
  return n;
}

/**
 * Turns one input batch of one partition into output messages (clean / redacted / quarantine),
 * in input order, without touching Kafka. Every input record yields exactly one output.
 */
export class BatchProcessor {
  private rulesetCache: { version: string; bytes: Buffer } | null = null;

  constructor(private readonly opts: BatchProcessorOptions) {}

  async process(
    topic: string,
    partition: number,
    messages: readonly InputMessage[],
  ): Promise<ProcessedBatch> {
    return this.finish(topic, partition, await this.analyse(messages));
  }

  /**
   * Decodes and scans records (value fields, key, headers); context rebuilders (keystrokes, chat
   * windows) may then add findings to `extra` before `finish` decides. Records below
   * `contextBelow` are context a hold-back re-reads (already emitted by a previous owner):
   * decoded, never scanned — a record that crashed a scan worker before would otherwise do it
   * again on every owner change.
   */
  async analyse(
    messages: readonly InputMessage[],
    opts: { contextBelow?: bigint } = {},
  ): Promise<AnalysedRecord[]> {
    const decoded = this.decode(messages, opts);
    await this.scan(decoded);
    return decoded.records;
  }

  /** The decode half of `analyse`: records ready for rebuilders, their scan not yet run. */
  decode(messages: readonly InputMessage[], opts: { contextBelow?: bigint } = {}): DecodedBatch {
    const { source, maxRecordBytes } = this.opts;
    const out: AnalysedRecord[] = new Array(messages.length);
    const requests: RecordScanRequest[] = [];
    const requestOf: number[] = [];

    for (let i = 0; i < messages.length; i++) {
      const msg = messages[i]!;
      const headers = msg.headers ? withoutSluiceHeaders(flattenHeaders(msg.headers)) : NO_HEADERS;
      const size = messageSize(msg, headers);
      const p: Pending = new PendingRecord(msg, size, headers, this.opts.fingerprintKey);
      out[i] = { p, findings: null, extra: [], scanNanos: 0 };
      if (size > maxRecordBytes) {
        p.early = failClosed(ErrorCodes.TOO_LARGE);
        continue;
      }
      p.early = this.fillBody(p);
      if (p.early) continue;
      if (opts.contextBelow !== undefined && BigInt(msg.offset) < opts.contextBelow) continue;
      requestOf.push(i);
      requests.push({ texts: p.texts, source: source.name });
    }
    return { records: out, requests, requestOf };
  }

  /**
   * Decodes a record's value and lists its texts (value fields, key, headers) into `p`. Returns
   * the fail-closed decision when the record must not be scanned (undecodable, password field).
   * Deterministic in the input message: `restoreBody` runs it again on a released record.
   */
  private fillBody(p: Pending): RecordDecision | null {
    const { source, codec } = this.opts;
    const msg = p.msg;
    if (msg.value === null) {
      // A tombstone has nothing to scan in its value, but its key and headers still are.
      p.texts = [];
      p.redactable = [];
    } else {
      try {
        p.decoded = codec.decode(msg.value);
        const walked = codec.texts(p.decoded);
        // The walker's fresh lists become the record's: paths get their `value.` prefix in place.
        const texts = walked.texts;
        const redactable = walked.redactable;
        for (let t = 0; t < texts.length; t++) {
          const w = texts[t]!;
          texts[t] = { path: valuePath(w.path), text: w.text };
          if (redactable[t] === undefined) redactable[t] = false;
        }
        p.texts = texts;
        p.redactable = redactable;
        // Whatever was typed into a password field never reaches clean or redacted.
        if (source.kind === 'telemetry' && codec.isSensitiveField(p.decoded))
          return failClosed(ErrorCodes.PASSWORD_FIELD);
      } catch (err) {
        return failClosed(err instanceof SluiceError ? err.code : ErrorCodes.DECODE_FAILED);
      }
    }
    if (msg.key) {
      const k = asText(msg.key);
      p.keyIndex = p.texts.length;
      p.texts.push({ path: 'key', text: k.text });
      p.redactable.push(k.utf8);
    }
    p.headerStart = p.texts.length;
    for (const h of p.headers) {
      const t = asText(h.value);
      p.texts.push({ path: headerPath(h.name), text: t.text });
      p.redactable.push(t.utf8);
    }
    return null;
  }

  /** Decodes a released record (`releaseBody`) again; a failure fails it closed. */
  private restoreBody(p: Pending): void {
    p.bodyReleased = false;
    // It decoded when it arrived, so a failure here is a codec bug: it fails closed all the same.
    const early = this.fillBody(p);
    if (early) p.early = early;
  }

  /**
   * The scan half of `analyse`. `extra` requests (a rebuilder's texts, e.g. chat seams) go to the
   * workers in the same round trip; their results are returned in order (undefined: not scanned).
   */
  async scan(
    batch: DecodedBatch,
    extra: readonly RecordScanRequest[] = [],
  ): Promise<Array<RecordScanResult | undefined>> {
    const { records, requests, requestOf } = batch;
    const all = extra.length > 0 ? [...requests, ...extra] : requests;
    const results = all.length > 0 ? await this.opts.scanner.scanBatch(all) : [];
    for (let r = 0; r < requestOf.length; r++) {
      const a = records[requestOf[r]!]!;
      const res = results[r];
      if (!res) a.p.early = failClosed(ErrorCodes.SCAN_FAILED);
      else if (!res.ok) a.p.early = failClosed(res.code);
      else {
        a.findings = res.findings;
        a.scanNanos = res.scanNanos;
      }
    }
    return extra.map((_, i) => results[requests.length + i]);
  }

  /** The verdict of an analysed record: its own findings plus what context rebuilders added. */
  decideRecord(a: AnalysedRecord): RecordDecision {
    const { p } = a;
    // A released body is needed again only when a finding came after the release.
    if (p.bodyReleased && a.extra.length > 0) this.restoreBody(p);
    if (p.early) {
      if (a.extra.length === 0) return p.early;
      return { ...p.early, findings: [...p.early.findings, ...a.extra] };
    }
    return decide({ texts: p.texts, redactable: p.redactable, findings: a.findings ?? [], extra: a.extra });
  }

  /** Builds the output of each analysed record, in order. Every record yields exactly one output. */
  finish(topic: string, partition: number, records: readonly AnalysedRecord[]): ProcessedBatch {
    const outputs: OutputMessage[] = [];
    const outcomes: RecordOutcome[] = [];
    let scanNanos = 0;
    for (const a of records) {
      const p = a.p;
      scanNanos += a.scanNanos;
      let decision = this.decideRecord(a);
      let out: OutputMessage;
      // Companion messages of this record's output (the quarantine data key), same transaction.
      const extra: OutputMessage[] = [];
      try {
        out = this.build(topic, partition, p, decision, extra);
      } catch (err) {
        // Anything that goes wrong while rewriting fails closed to quarantine, with its code.
        decision = { ...failClosed(describeError(err).code), findings: decision.findings };
        extra.length = 0;
        out = this.build(topic, partition, p, decision, extra);
      }
      outcomes.push(
        new Outcome(
          p,
          decision,
          out.topic,
          outputs.length,
          decision.verdict === 'clean' && this.rangeAuditable(p),
        ),
      );
      outputs.push(out);
      for (const e of extra) outputs.push(e);
    }
    return { outputs, outcomes, scanNanos };
  }

  private rangeAuditable(p: Pending): boolean {
    const mode = this.opts.auditCleanRanges ?? 'keystrokes';
    if (mode === 'all') return true;
    return mode === 'keystrokes' && this.opts.source.kind === 'telemetry' && isKeyEvent(p);
  }

  /** The ruleset header's bytes, shared by every output until the ruleset changes. */
  private rulesetBytes(): Buffer {
    const v = this.opts.rulesetVersion();
    if (this.rulesetCache?.version !== v) this.rulesetCache = { version: v, bytes: Buffer.from(v) };
    return this.rulesetCache.bytes;
  }

  /**
   * kafkajs headers: the record's own (`list`), then Sluice's verdict, ruleset and source
   * coordinates (and reason), set on that one object: this runs for every record.
   */
  private outputHeaders(
    list: HeaderList,
    topic: string,
    partition: number,
    p: Pending,
    d: RecordDecision,
  ): IHeaders {
    const out = toKafkaHeaders(list);
    // Incoming sluice-* headers were dropped at decode, so these names are free.
    out[SluiceHeaders.verdict] = VERDICT_BYTES[d.verdict];
    out[SluiceHeaders.ruleset] = this.rulesetBytes();
    out[SluiceHeaders.source] = `${topic}/${partition}/${p.msg.offset}`;
    if (d.reason) out[SluiceHeaders.reason] = d.reason;
    return out;
  }

  private build(
    topic: string,
    partition: number,
    p: Pending,
    d: RecordDecision,
    extra: OutputMessage[],
  ): OutputMessage {
    const { source } = this.opts;
    if (d.verdict === 'clean') {
      // Clean records keep their bytes unchanged.
      return {
        topic: source.outputs.clean,
        partition,
        key: p.msg.key,
        value: p.msg.value,
        headers: this.outputHeaders(p.headers, topic, partition, p, d),
      };
    }
    if (d.verdict === 'redacted') return this.buildRedacted(topic, partition, p, d);
    return this.buildQuarantine(topic, partition, p, d, extra);
  }

  private buildRedacted(topic: string, partition: number, p: Pending, d: RecordDecision): OutputMessage {
    const byText = new Map<number, LocatedFinding[]>();
    for (const f of d.findings) {
      if (f.shadow) continue;
      let list = byText.get(f.textIndex);
      if (!list) byText.set(f.textIndex, (list = []));
      list.push(f);
    }
    const valueReplacements = new Map<number, string>();
    let key = p.msg.key;
    const headers = p.headers.map((h) => ({ ...h }));
    for (const [idx, list] of byText) {
      const t = p.texts[idx]!;
      const redacted = redactText(t.text, list);
      if (idx === p.keyIndex) key = Buffer.from(redacted);
      else if (idx >= p.headerStart) headers[idx - p.headerStart]!.value = Buffer.from(redacted);
      else valueReplacements.set(idx, redacted);
    }
    let value = p.msg.value;
    if (valueReplacements.size > 0) {
      if (!p.decoded)
        throw new SluiceError(ErrorCodes.UNREDACTABLE_FIELD, 'finding in a value that was not decoded');
      value = this.opts.codec.rewrite(p.decoded, valueReplacements);
    }
    let size = (value?.length ?? 0) + (key?.length ?? 0);
    for (const h of headers) size += h.name.length + h.value.length;
    if (size > this.opts.maxRecordBytes) {
      // Placeholders can be longer than what they replace; a record that no longer fits fails closed.
      throw new SluiceError(ErrorCodes.TOO_LARGE, 'redacted record exceeds limits.maxRecordBytes');
    }
    return {
      topic: this.opts.source.outputs.redacted,
      partition,
      key,
      value,
      headers: this.outputHeaders(headers, topic, partition, p, d),
    };
  }

  private buildQuarantine(
    topic: string,
    partition: number,
    p: Pending,
    d: RecordDecision,
    extra: OutputMessage[],
  ): OutputMessage {
    const keyFingerprint = p.keyFingerprint;
    const written = this.opts.envelopes.writeRecord({
      source: {
        topic,
        partition,
        offset: p.msg.offset,
        timestampMs: Number(p.msg.timestamp),
        keyFingerprint,
      },
      reason: d.reason ?? ErrorCodes.FINDING_QUARANTINE,
      findings: d.findings,
      original: { key: p.msg.key, value: p.msg.value, headers: p.headers },
      size: p.size,
      carry: d.reason !== ErrorCodes.TOO_LARGE,
      sha256: d.reason === ErrorCodes.TOO_LARGE ? sha256Hex(p) : null,
      rulesetVersion: this.opts.rulesetVersion(),
    });
    // Crypto-shredding layout: the wrapped data key goes to its compacted topic (one partition,
    // see quarantine/data-key-store.ts) in the same transaction as the envelope.
    if (written.dataKey)
      extra.push({
        topic: written.dataKey.topic,
        partition: 0,
        key: written.dataKey.key,
        value: written.dataKey.value,
        headers: {},
      });
    const value = written.value;
    return {
      topic: this.opts.source.outputs.quarantine,
      partition,
      // The original key may itself be the secret (an email as key): keep only its keyed fingerprint.
      key: keyFingerprint ? Buffer.from(keyFingerprint) : null,
      value,
      headers: this.outputHeaders(NO_HEADERS, topic, partition, p, d),
    };
  }
}

function sha256Hex(p: Pending): string {
  const h = createHash('sha256');
  if (p.msg.value) h.update(p.msg.value);
  return h.digest('hex');
}
