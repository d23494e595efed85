import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { envOverrides } from '@sluice/scrubber/dist/config/load-config';
import {
  httpSectionSchema,
  kafkaSectionSchema,
  logSectionSchema,
  sourceSchema,
} from '@sluice/scrubber/dist/config/schema';
import { ErrorCodes, SluiceError } from '@sluice/scrubber/dist/errors';

/** Every canary type the producer knows; `canary.types` picks a subset. */
export const CANARY_TYPES = ['aws-key', 'email', 'card', 'private-key', 'clipboard', 'keystroke'] as const;
export type CanaryType = (typeof CANARY_TYPES)[number];

/**
 * The canary's configuration: the same conventions as the scrubber (YAML file, KAFKA_BROKERS,
 * SLUICE_LOG_LEVEL, strict objects), and the same `sources` block so both agree on topic names.
 * Generic overrides use the `SLUICE_CANARY__SECTION__KEY=value` form.
 */
export const canaryConfigSchema = z.strictObject({
  instanceId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -')
    .optional(),
  // The scrubber's kafka section (SASL, TLS with caFile/certFile/keyFile), its own client id.
  kafka: kafkaSectionSchema('sluice-canary'),
  sources: z
    .array(sourceSchema)
    .min(1)
    .default([
      { name: 'telemetry', topic: 'raw.telemetry', format: 'avro', kind: 'telemetry', outputs: {} },
      { name: 'chat', topic: 'raw.chat', format: 'avro', kind: 'chat', outputs: {} },
    ]),
  auditTopic: z.string().min(1).default('sluice.audit'),
  canary: z
    .strictObject({
      /** One canary every intervalMs, cycling through `types`. */
      intervalMs: z.number().int().min(10).default(1_000),
      /**
       * Canary kinds to cycle through. `keystroke` types a secret one key event at a time, so it
       * tests the scrubber's keystroke reassembly; `clipboard` and `keystroke` need a telemetry source.
       */
      types: z
        .array(z.enum(CANARY_TYPES))
        .min(1)
        .default([...CANARY_TYPES]),
      /** A canary with no verdict after this long counts as timed out (the gate may be down). */
      resolveTimeoutMs: z.number().int().positive().default(120_000),
      /** Stop after this many canaries (0 = run until stopped). Tests and demos use it. */
      maxCanaries: z.number().int().min(0).default(0),
      seed: z.number().int().optional(),
    })
    .default({ intervalMs: 1_000, types: [...CANARY_TYPES], resolveTimeoutMs: 120_000, maxCanaries: 0 }),
  verifier: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The instance id is appended: each canary instance verifies only the canaries it sent. */
      groupIdPrefix: z.string().min(1).default('sluice-canary-verifier'),
    })
    .default({ enabled: true, groupIdPrefix: 'sluice-canary-verifier' }),
  http: httpSectionSchema(9465),
  log: logSectionSchema,
});

export type CanaryConfigInput = z.input<typeof canaryConfigSchema>;
type RawCanaryConfig = z.output<typeof canaryConfigSchema>;

export interface CanarySourceTopics {
  name: string;
  topic: string;
  clean: string;
  redacted: string;
}

export interface CanaryConfig extends Omit<RawCanaryConfig, 'instanceId'> {
  instanceId: string;
  /** Where chat-borne and telemetry-borne canaries go (first source of each kind). */
  chat: CanarySourceTopics | null;
  telemetry: CanarySourceTopics | null;
}

/** Environment variables the canary honours, mapped onto the scrubber's env conventions. */
function canaryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of ['KAFKA_BROKERS', 'SLUICE_KAFKA_BROKERS', 'SLUICE_LOG_LEVEL'])
    if (env[name]) out[name] = env[name];
  if (env.SLUICE_CANARY_HTTP_PORT) out.SLUICE__HTTP__PORT = env.SLUICE_CANARY_HTTP_PORT;
  if (env.SLUICE_CANARY_INSTANCE_ID) out.SLUICE__INSTANCE_ID = env.SLUICE_CANARY_INSTANCE_ID;
  for (const [name, v] of Object.entries(env))
    if (name.startsWith('SLUICE_CANARY__')) out[`SLUICE__${name.slice('SLUICE_CANARY__'.length)}`] = v;
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** YAML file + environment + overrides, validated once into a typed, frozen config. */
export function loadCanaryConfig(
  opts: { file?: string | undefined; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {},
): CanaryConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SLUICE_CANARY_CONFIG;
  let input: Record<string, unknown> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `cannot read canary config ${file}: ${(err as Error).message}`,
      );
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed))
        throw new SluiceError(ErrorCodes.CONFIG_INVALID, `canary config ${file} must hold a YAML mapping`);
      input = parsed as Record<string, unknown>;
    }
  }
  for (const o of envOverrides(canaryEnv(env))) setPath(input, o.path, o.value);
  if (opts.overrides) input = { ...input, ...opts.overrides };
  const result = canaryConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `invalid canary configuration:\n${lines.join('\n')}`);
  }
  const raw = result.data;
  const topicsOf = (kind: 'chat' | 'telemetry'): CanarySourceTopics | null => {
    const s = raw.sources.find((x) => x.kind === kind);
    if (!s) return null;
    return {
      name: s.name,
      topic: s.topic,
      clean: s.outputs.clean ?? `clean.${s.name}`,
      redacted: s.outputs.redacted ?? `redacted.${s.name}`,
    };
  };
  const chat = topicsOf('chat');
  const telemetry = topicsOf('telemetry');
  for (const t of raw.canary.types) {
    const needs = t === 'keystroke' || t === 'clipboard' ? telemetry : chat;
    if (!needs) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `canary.types: "${t}" needs a source of kind ${t === 'keystroke' || t === 'clipboard' ? 'telemetry' : 'chat'}`,
        {
          hint: 'add that source under sources, or remove the type',
        },
      );
    }
  }
  const { instanceId, ...rest } = raw;
  return deepFreeze({
    ...rest,
    instanceId: instanceId ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
    chat,
    telemetry,
  });
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as Record<string, unknown>)) deepFreeze(v);
  }
  return obj;
}
