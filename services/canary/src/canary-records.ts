import { randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { encodeAvro } from '@sluice/scrubber/dist/codec/record-codec';
import type { SchemaRegistry } from '@sluice/scrubber/dist/codec/schema-registry';
import { RawSchemaIds } from '@sluice/scrubber/dist/demo/traffic-generator';
import {
  awsAccessKeyId,
  cardNumber,
  emailAddress,
  privateKeyPem,
  type Rng,
} from '@sluice/scrubber/dist/demo/synthetic-secrets';
import type { CanaryType } from './config';

/** Header on every canary record so downstream trainers can drop them. The scrubber ignores it. */
export const CANARY_HEADER = 'x-sluice-canary';

/** One record of a canary; `secretChar` is set on keystroke events that type a character of the secret. */
export interface CanaryMessage {
  key: Buffer;
  value: Buffer;
  headers: IHeaders;
  secretChar: string | null;
}

export interface CanaryBatch {
  id: string;
  type: CanaryType;
  kind: 'chat' | 'telemetry';
  /** Byte strings whose presence in a clean or redacted record is an escape (non-keystroke types). */
  secrets: Buffer[];
  /** All records of one canary share a key, so they land on one partition in this order. */
  messages: CanaryMessage[];
}

/**
 * Builds the records of one canary. The text around each secret is ordinary prose: nothing in it
 * says "canary" to the scrubber, so the gate is tested exactly as it treats real traffic.
 */
export function buildCanary(
  registry: SchemaRegistry,
  rng: Rng,
  type: CanaryType,
  id: string,
  instanceId: string,
): CanaryBatch {
  const headers = (): IHeaders => ({ [CANARY_HEADER]: id });
  const chat = (text: string, secrets: string[]): CanaryBatch => {
    const conversationId = `cv-${id}`;
    const value = encodeAvro(registry, RawSchemaIds.chat, {
      conversationId,
      messageId: randomUUID(),
      sender: `svc-${instanceId}`,
      senderDisplay: null,
      visibility: 'INTERNAL',
      sentAtMs: Date.now(),
      text,
      attachments: [],
      metadata: {},
    });
    return {
      id,
      type,
      kind: 'chat',
      secrets: secrets.map((s) => Buffer.from(s)),
      messages: [{ key: Buffer.from(conversationId), value, headers: headers(), secretChar: null }],
    };
  };
  const device = `dv-${instanceId}`;
  const session = `ss-${id}`;
  let seq = 0;
  const telemetry = (
    body: Record<string, unknown>,
    field: Record<string, unknown> | null,
    secretChar: string | null,
  ): CanaryMessage => ({
    key: Buffer.from(`${device}/${session}`),
    value: encodeAvro(registry, RawSchemaIds.telemetry, {
      eventId: randomUUID(),
      device,
      session,
      seq: seq++,
      timestampMs: Date.now(),
      app: 'com.apple.Terminal',
      window: null,
      field,
      body,
    }),
    headers: headers(),
    secretChar,
  });

  switch (type) {
    case 'aws-key': {
      // No "aws_access_key_id =" context: the key id alone must be enough to catch it.
      const v = awsAccessKeyId(rng);
      return chat(`the nightly job still runs with ${v} on the staging runner`, [v]);
    }
    case 'email': {
      const v = emailAddress(rng);
      return chat(`please loop in ${v} on the release thread`, [v]);
    }
    case 'card': {
      const v = cardNumber(rng);
      return chat(`forwarding the invoice, card on file is ${v} thanks`, [v, v.replace(/ /g, '')]);
    }
    case 'private-key': {
      const v = privateKeyPem(rng);
      // Any one body line of the key reaching training is as bad as the whole block.
      return chat(`here is the deploy key, keep it safe\n${v}`, [v, ...v.split('\n').slice(1, -1)]);
    }
    case 'clipboard': {
      const v = awsAccessKeyId(rng);
      const b: CanaryBatch = { id, type, kind: 'telemetry', secrets: [Buffer.from(v)], messages: [] };
      b.messages.push(
        telemetry(
          {
            'io.sluice.ClipboardEvent': {
              op: 'PASTE',
              text: `export AWS_ACCESS_KEY_ID=${v}`,
              mime: 'text/plain',
            },
          },
          null,
          null,
        ),
      );
      return b;
    }
    case 'keystroke': {
      // A secret typed one key per event into a terminal: only reassembly of the typed text finds it.
      const v = awsAccessKeyId(rng);
      const field = { id: 'terminal-1', kind: 'TERMINAL', sensitive: false };
      const b: CanaryBatch = { id, type, kind: 'telemetry', secrets: [], messages: [] };
      b.messages.push(
        telemetry({ 'io.sluice.FocusEvent': { kind: 'FOCUS', target: 'terminal-1' } }, null, null),
      );
      const key = (ch: string, secret: boolean) =>
        b.messages.push(
          telemetry(
            { 'io.sluice.KeyEvent': { key: ch, code: null, modifiers: [], repeat: false } },
            field,
            secret ? ch : null,
          ),
        );
      for (const ch of 'export AWS_ACCESS_KEY_ID=') key(ch, false);
      for (const ch of v) key(ch, true);
      key('Enter', false);
      return b;
    }
  }
}
