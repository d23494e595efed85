import { randomUUID } from 'node:crypto';
import { encodeAvro } from '../codec/record-codec';
import type { SchemaRegistry } from '../codec/schema-registry';
import type { Verdict } from '../route/decide';
import {
  awsAccessKeyId,
  cardNumber,
  emailAddress,
  githubToken,
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

  /** Key events still to be typed, per device+session: one line of typing at a time. */
  private readonly typing = new Map<string, Array<{ key: string; expect: GeneratedRecord['expect'] }>>();

  /**
   * Telemetry as a person produces it: whole lines typed one key per event into a field, ending
   * with Enter, interleaved across devices and sessions with pointer, focus, clipboard and
   * screen-text events. Some lines carry a secret typed key by key: each of its key events must
   * leave Sluice redacted or quarantined; every other event of the line is clean.
   */
  telemetry(): GeneratedRecord {
    const rng = this.rng;
    const device = `dev-${Math.floor(rng() * this.devices)}`;
    const session = `s-${Math.floor(rng() * 3)}`;
    const ds = `${device}/${session}`;
    const queue = this.typing.get(ds);
    const r = rng();
    if ((queue && queue.length > 0) || r < 0.55) {
      let q = queue;
      if (!q || q.length === 0) this.typing.set(ds, (q = this.typedLine()));
      const next = q.shift()!;
      return this.telemetryRecord(
        device,
        session,
        { id: 'editor', kind: 'TERMINAL', sensitive: false },
        {
          'io.sluice.KeyEvent': { key: next.key, code: null, modifiers: [], repeat: false },
        },
        next.expect,
      );
    }
    const clean: GeneratedRecord['expect'] = { verdict: 'clean', secrets: [], why: 'plain event' };
    if (r < 0.55 + this.sensitiveRate / 2) {
      const v = awsAccessKeyId(rng);
      return this.telemetryRecord(
        device,
        session,
        null,
        {
          'io.sluice.ClipboardEvent': {
            op: 'COPY',
            text: `export AWS_ACCESS_KEY_ID=${v}`,
            mime: 'text/plain',
          },
        },
        {
          verdict: 'quarantined',
          secrets: [v],
          why: 'copied aws key',
        },
      );
    }
    if (r < 0.55 + this.sensitiveRate) {
      const v = emailAddress(rng);
      return this.telemetryRecord(
        device,
        session,
        null,
        { 'io.sluice.ScreenTextEvent': { text: `From: ${v} Subject: quarterly numbers`, source: 'OCR' } },
        {
          verdict: 'redacted',
          secrets: [v],
          why: 'email in screen text',
        },
      );
    }
    if (r < 0.55 + this.sensitiveRate * 1.5) {
      const ch = pick(rng, 'abcdefghijkmnopqrstuvwxyz0123456789'.split(''));
      return this.telemetryRecord(
        device,
        session,
        { id: 'login-password', kind: 'PASSWORD', sensitive: true },
        {
          'io.sluice.KeyEvent': { key: ch, code: null, modifiers: [], repeat: false },
        },
        { verdict: 'quarantined', secrets: [], why: 'password field' },
      );
    }
    if (r < 0.9) {
      return this.telemetryRecord(
        device,
        session,
        null,
        {
          'io.sluice.PointerEvent': {
            kind: pick(rng, ['MOVE', 'CLICK']),
            x: Math.floor(rng() * 1920),
            y: Math.floor(rng() * 1080),
            button: 0,
            text: null,
          },
        },
        clean,
      );
    }
    // Focus changes end a run of typing, so they only happen between lines (as for a person).
    return this.telemetryRecord(
      device,
      session,
      null,
      { 'io.sluice.FocusEvent': { kind: 'FOCUS', target: pick(rng, ['editor', 'search', 'terminal']) } },
      clean,
    );
  }

  /** The rest of every line still being typed, so a finite corpus ends with whole lines. */
  finishTyping(): GeneratedRecord[] {
    const out: GeneratedRecord[] = [];
    for (const [ds, q] of this.typing) {
      const [device, session] = ds.split('/') as [string, string];
      for (const next of q.splice(0)) {
        out.push(
          this.telemetryRecord(
            device,
            session,
            { id: 'editor', kind: 'TERMINAL', sensitive: false },
            {
              'io.sluice.KeyEvent': { key: next.key, code: null, modifiers: [], repeat: false },
            },
            next.expect,
          ),
        );
      }
    }
    return out;
  }

  /** One line of typing: words, sometimes with a secret in it, then Enter. */
  private typedLine(): Array<{ key: string; expect: GeneratedRecord['expect'] }> {
    const rng = this.rng;
    const clean: GeneratedRecord['expect'] = { verdict: 'clean', secrets: [], why: 'typed text' };
    const out: Array<{ key: string; expect: GeneratedRecord['expect'] }> = [];
    const type = (text: string, expect: GeneratedRecord['expect']) => {
      for (const ch of text) out.push({ key: ch, expect });
    };
    type(`${sentence(rng, 2, 6)} `, clean);
    if (rng() < this.sensitiveRate * 2) {
      const kind = Math.floor(rng() * 4);
      if (kind === 0) {
        const v = awsAccessKeyId(rng);
        type('aws configure set aws_access_key_id ', clean);
        type(v, { verdict: 'quarantined', secrets: [], why: 'typed aws key' });
      } else if (kind === 1) {
        const v = emailAddress(rng);
        type('mail ', clean);
        type(v, { verdict: 'redacted', secrets: [], why: 'typed email' });
      } else if (kind === 2) {
        const v = cardNumber(rng).replace(/ /g, '');
        type('card ', clean);
        type(v, { verdict: 'redacted', secrets: [], why: 'typed card number' });
      } else {
        const v = githubToken(rng);
        type('export GITHUB_TOKEN=', clean);
        type(v, { verdict: 'quarantined', secrets: [], why: 'typed github token' });
      }
      type(' ', clean);
    }
    out.push({ key: 'Enter', expect: clean });
    return out;
  }

  private telemetryRecord(
    device: string,
    session: string,
    field: { id: string | null; kind: string; sensitive: boolean } | null,
    body: Record<string, unknown>,
    expect: GeneratedRecord['expect'],
  ): GeneratedRecord {
    const value = encodeAvro(this.registry, RawSchemaIds.telemetry, {
      eventId: randomUUID(),
      device,
      session,
      seq: this.seq++,
      timestampMs: Date.now(),
      app: 'com.apple.Terminal',
      window: null,
      field,
      body,
    });
    return { key: Buffer.from(`${device}/${session}`), value, headers: {}, expect };
  }
}
