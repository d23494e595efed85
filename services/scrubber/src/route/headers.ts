import type { IHeaders } from 'kafkajs';

/** Headers Sluice adds to every output record. Original headers are kept beside them. */
export const SluiceHeaders = {
  verdict: 'sluice-verdict',
  ruleset: 'sluice-ruleset',
  source: 'sluice-source',
  reason: 'sluice-reason',
} as const;

export type HeaderList = Array<{ name: string; value: Buffer }>;

/** Flattens kafkajs headers (a value may be a string, Buffer or an array of them) into an ordered list. */
export function flattenHeaders(headers: IHeaders | undefined): HeaderList {
  const out: HeaderList = [];
  if (!headers) return out;
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const one of values)
      out.push({ name, value: Buffer.isBuffer(one) ? one : Buffer.from(String(one)) });
  }
  return out;
}

/** Back to kafkajs' shape; repeated names become arrays (kafkajs writes each element as its own header). */
export function toKafkaHeaders(list: HeaderList): IHeaders {
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const { name, value } of list) {
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Drops any incoming sluice-* header: a producer must not be able to forge a verdict downstream. */
export function withoutSluiceHeaders(list: HeaderList): HeaderList {
  return list.filter((h) => !h.name.startsWith('sluice-'));
}
