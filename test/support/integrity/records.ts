// Hand-made raw records for the fault and hostile-input scenarios, with what each must become.
import { randomBytes } from 'node:crypto';
import { encodeAvro } from '../../../services/scrubber/src/codec/record-codec';
import type { SchemaRegistry } from '../../../services/scrubber/src/codec/schema-registry';
import { headerString } from '../invariants';
import type { ConsumedMessage } from '../kafka';

let seq = 0;

/** A chat message (schema id 2) with this text; message ids are deterministic (no random digit runs). */
export function chatValue(
  registry: SchemaRegistry,
  text: string,
  extra: Record<string, unknown> = {},
): Buffer {
  return encodeAvro(registry, 2, {
    conversationId: 'conv-integrity',
    messageId: `integrity-${process.pid}-${seq++}`,
    sender: 'user-integrity',
    senderDisplay: null,
    visibility: 'INTERNAL',
    sentAtMs: Date.now(),
    text,
    attachments: [],
    metadata: {},
    ...extra,
  });
}

/** A token that must never reach clean or redacted: letters only, so no rule mistakes it for a number. */
export function canaryToken(): string {
  return `zqx${randomBytes(8)
    .toString('hex')
    .replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!)}`;
}

/** Verdict and reason of the output that carries a source coordinate. */
export function outcomeOf(
  outputs: ConsumedMessage[],
  coord: string,
): { verdict: string | null; reason: string | null } | null {
  const m = outputs.find((o) => headerString(o, 'sluice-source') === coord);
  return m ? { verdict: headerString(m, 'sluice-verdict'), reason: headerString(m, 'sluice-reason') } : null;
}
