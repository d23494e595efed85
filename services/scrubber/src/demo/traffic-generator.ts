import { randomUUID } from 'node:crypto';
import { encodeAvro } from '../codec/record-codec';
import type { SchemaRegistry } from '../codec/schema-registry';
import type { Verdict } from '../route/decide';
import {
  awsAccessKeyId,
  cardNumber,
  emailAddress,
  pick,
  privateKeyPem,
  seededRng,
  type Rng,
} from './synthetic-secrets';

/** Registry ids of the raw schemas (schemas/registry.json). */
export const RawSchemaIds = { telemetry: 1, chat: 2 } as const;

export interface GeneratedRecord {
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
  /** What Sluice must do with it, and the sensitive values that must never reach clean/redacted. */
  expect: { verdict: Verdict; secrets: string[]; why: string };
}

const WORDS = (
  'the build is green again after the flaky test fix so we can ship the release on thursday if review ' +
  'goes well please check the dashboard numbers and the latency graph before the sync we should also ' +
  'update the onboarding doc and the runbook for the pager rotation thanks for the quick turnaround'
).split(' ');

const CHAT_TEMPLATES_REDACT = [
  (v: string) => `you can reach me at ${v} if anything breaks`,
  (v: string) => `forwarding the invoice, card on file is ${v}`,
  (v: string) => `cc ${v} on the thread please`,
];

function sentence(rng: Rng, min: number, max: number): string {
  const n = min + Math.floor(rng() * (max - min));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(rng, WORDS));
  return out.join(' ');
}

export interface TrafficOptions {
  seed?: number;
  /** Fraction of chat messages that carry a secret or personal data. Default 0.05. */
  sensitiveRate?: number;
  conversations?: number;
  devices?: number;
}

/**
 * Synthetic chat and telemetry traffic, Avro in Confluent framing, with the verdict each record
 * must get. Keys follow the producer contract: chat by conversation, telemetry by device+session.
 */
export class TrafficGenerator {
  private readonly rng: Rng;
  private readonly sensitiveRate: number;
  private readonly conversations: number;
  private readonly devices: number;
  private seq = 0;

  constructor(
    private readonly registry: SchemaRegistry,
    opts: TrafficOptions = {},
  ) {
    this.rng = seededRng(opts.seed ?? 42);
    this.sensitiveRate = opts.sensitiveRate ?? 0.05;
    this.conversations = opts.conversations ?? 50;
    this.devices = opts.devices ?? 20;
  }

  chat(): GeneratedRecord {
    const rng = this.rng;
    const conversationId = `conv-${Math.floor(rng() * this.conversations)}`;
    const id = this.seq++;
    let text = `${sentence(rng, 8, 40)} #${id}`;
    let expect: GeneratedRecord['expect'] = { verdict: 'clean', secrets: [], why: 'plain text' };
    const headers: Record<string, string> = { 'content-type': 'application/vnd.sluice.chat+avro' };
    let sender = `user-${Math.floor(rng() * 500)}`;
    let key = conversationId;
    if (rng() < this.sensitiveRate) {
      const kind = Math.floor(rng() * 7);
      if (kind === 0) {
        const v = awsAccessKeyId(rng);
        text = `deploy creds for staging: aws_access_key_id = ${v} ${text}`;
        expect = { verdict: 'quarantined', secrets: [v], why: 'aws key id' };
      } else if (kind === 1) {
        const v = privateKeyPem(rng);
        text = `here is the key, don't share it\n${v}`;
        expect = { verdict: 'quarantined', secrets: [v.split('\n')[1]!], why: 'private key' };
      } else if (kind === 2) {
        const v = emailAddress(rng);
        text = `${pick(rng, [CHAT_TEMPLATES_REDACT[0]!, CHAT_TEMPLATES_REDACT[2]!])(v)} ${text}`;
        expect = { verdict: 'redacted', secrets: [v], why: 'email in text' };
      } else if (kind === 3) {
        const v = cardNumber(rng);
        text = `forwarding the invoice, card on file is ${v} thanks`;
        expect = { verdict: 'redacted', secrets: [v], why: 'card number' };
      } else if (kind === 4) {
        const v = emailAddress(rng);
        sender = v;
        expect = { verdict: 'redacted', secrets: [v], why: 'email as sender field' };
      } else if (kind === 5) {
        const v = emailAddress(rng);
        headers['x-user-email'] = v;
        expect = { verdict: 'redacted', secrets: [v], why: 'email in a header' };
      } else {
        const v = emailAddress(rng);
        key = v;
        expect = { verdict: 'redacted', secrets: [v], why: 'email as record key' };
      }
    }
    const value = encodeAvro(this.registry, RawSchemaIds.chat, {
      conversationId,
      messageId: randomUUID(),
      sender,
      senderDisplay: null,
      visibility: pick(rng, ['PUBLIC', 'INTERNAL', 'PRIVATE', 'DIRECT']),
      sentAtMs: Date.now(),
      text,
      attachments: [],
      metadata: {},
    });
    return { key: Buffer.from(key), value, headers, expect };
  }

  telemetry(): GeneratedRecord {
    const rng = this.rng;
    const device = `dev-${Math.floor(rng() * this.devices)}`;
    const session = `s-${Math.floor(rng() * 3)}`;
    const base = {
      eventId: randomUUID(),
      device,
      session,
      seq: this.seq++,
      timestampMs: Date.now(),
      app: pick(rng, ['com.apple.Terminal', 'org.mozilla.firefox', 'com.microsoft.VSCode']),
      window: null,
      field: null as null | { id: string | null; kind: string; sensitive: boolean },
    };
    let body: Record<string, unknown>;
    let expect: GeneratedRecord['expect'] = { verdict: 'clean', secrets: [], why: 'plain event' };
    const r = rng();
    if (r < this.sensitiveRate / 2) {
      const v = awsAccessKeyId(rng);
      body = { 'io.sluice.ClipboardEvent': { op: 'PASTE', text: `export AWS_ACCESS_KEY_ID=${v}`, mime: 'text/plain' } };
      expect = { verdict: 'quarantined', secrets: [v], why: 'pasted aws key' };
    } else if (r < this.sensitiveRate) {
      const v = emailAddress(rng);
      body = { 'io.sluice.ScreenTextEvent': { text: `From: ${v} Subject: quarterly numbers`, source: 'OCR' } };
      expect = { verdict: 'redacted', secrets: [v], why: 'email in screen text' };
    } else if (r < this.sensitiveRate * 1.5) {
      base.field = { id: 'login-password', kind: 'PASSWORD', sensitive: true };
      const ch = pick(rng, 'abcdefghijkmnopqrstuvwxyz0123456789'.split(''));
      body = { 'io.sluice.KeyEvent': { key: ch, code: null, modifiers: [], repeat: false } };
      expect = { verdict: 'quarantined', secrets: [], why: 'password field' };
    } else if (r < 0.6) {
      base.field = { id: 'editor', kind: 'TEXT', sensitive: false };
      body = { 'io.sluice.KeyEvent': { key: pick(rng, 'abcdefghijklmnopqrstuvwxyz '.split('')), code: null, modifiers: [], repeat: false } };
    } else if (r < 0.85) {
      body = { 'io.sluice.PointerEvent': { kind: pick(rng, ['MOVE', 'CLICK']), x: Math.floor(rng() * 1920), y: Math.floor(rng() * 1080), button: 0, text: null } };
    } else {
      body = { 'io.sluice.FocusEvent': { kind: 'FOCUS', target: pick(rng, ['editor', 'search', 'terminal']) } };
    }
    const value = encodeAvro(this.registry, RawSchemaIds.telemetry, { ...base, body });
    return { key: Buffer.from(`${device}/${session}`), value, headers: {}, expect };
  }
}
