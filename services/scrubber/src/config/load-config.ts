import { readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RawConfig, type SourceConfig } from './schema';
import { keyIdOf } from '../quarantine/payload-cipher';
import { ErrorCodes, SluiceError } from '../errors';

export interface ResolvedSource extends SourceConfig {
  outputs: { clean: string; redacted: string; quarantine: string };
}

export interface SluiceConfig extends Omit<RawConfig, 'sources' | 'instanceId'> {
  instanceId: string;
  sources: ResolvedSource[];
  fingerprintKey: Buffer;
  quarantinePublicKey: KeyObject;
  /** secrets.quarantineKeyId, or the id derived from the public key when not set. */
  quarantineKeyId: string;
}

/** Environment variables with a fixed meaning, besides the generic SLUICE__A__B_C=value form. */
const ENV_ALIASES: Record<string, string[]> = {
  KAFKA_BROKERS: ['kafka', 'brokers'],
  SLUICE_KAFKA_BROKERS: ['kafka', 'brokers'],
  SLUICE_GROUP_ID: ['group', 'id'],
  SLUICE_INSTANCE_ID: ['instanceId'],
  SLUICE_FINGERPRINT_KEY: ['secrets', 'fingerprintKey'],
  SLUICE_FINGERPRINT_KEY_FILE: ['secrets', 'fingerprintKeyFile'],
  SLUICE_QUARANTINE_PUBLIC_KEY_FILE: ['secrets', 'quarantinePublicKeyFile'],
  SLUICE_QUARANTINE_KEY_ID: ['secrets', 'quarantineKeyId'],
  SLUICE_HTTP_PORT: ['http', 'port'],
  SLUICE_LOG_LEVEL: ['log', 'level'],
  SLUICE_WORKERS: ['scan', 'workers'],
};

const LIST_KEYS = new Set(['kafka.brokers', 'scan.ruleDirs', 'scan.internalDomains']);

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function parseEnvValue(path: string[], raw: string): unknown {
  const dotted = path.join('.');
  const trimmed = raw.trim();
  if (LIST_KEYS.has(dotted) && !trimmed.startsWith('[')) {
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  // Numbers, booleans and JSON objects come through as JSON; anything else is a string.
  if (/^(true|false|-?\d+(\.\d+)?|\{.*\}|\[.*\])$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Collects overrides from the environment: aliases above and `SLUICE__SECTION__KEY_NAME=value`. */
export function envOverrides(
  env: NodeJS.ProcessEnv,
): Array<{ path: string[]; value: unknown; from: string }> {
  const out: Array<{ path: string[]; value: unknown; from: string }> = [];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '') continue;
    const alias = ENV_ALIASES[name];
    if (alias) out.push({ path: alias, value: parseEnvValue(alias, raw), from: name });
    else if (name.startsWith('SLUICE__')) {
      const path = name.slice('SLUICE__'.length).split('__').map(camel);
      out.push({ path, value: parseEnvValue(path, raw), from: name });
    }
  }
  return out;
}

function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      let value: unknown = input;
      for (const p of issue.path)
        value = (value as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
      // Never echo secrets back; everything else helps the operator find the typo.
      const shown = /secret|key|password/i.test(key) ? '<hidden>' : JSON.stringify(value);
      return `  - ${key}: ${issue.message}${shown !== undefined ? ` (got ${shown})` : ''}`;
    })
    .join('\n');
}

function decodeKeyMaterial(text: string, what: string): Buffer {
  const t = text.trim();
  const buf =
    /^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0 ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (buf.length < 32) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `${what} must be at least 32 bytes (hex or base64)`, {
      hint: 'generate one with `openssl rand -hex 32` and set SLUICE_FINGERPRINT_KEY on every instance',
    });
  }
  return buf;
}

export interface LoadOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Extra values applied last (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
    ) {
      out[k] = deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Buffer.isBuffer(obj) && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as Record<string, unknown>)) deepFreeze(v);
  }
  return obj;
}

/** Validates YAML file + environment + overrides once, into a typed, frozen config. */
export function loadConfig(opts: LoadOptions = {}): SluiceConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SLUICE_CONFIG;
  let input: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `cannot read config file ${file}: ${(err as Error).message}`,
        {
          hint: 'pass an existing YAML file with --config or SLUICE_CONFIG',
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `config file ${file} is not valid YAML: ${(err as Error).message}`,
      );
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new SluiceError(
          ErrorCodes.CONFIG_INVALID,
          `config file ${file} must hold a YAML mapping at the top`,
        );
      }
      input = parsed as Record<string, unknown>;
    }
  }
  for (const o of envOverrides(env)) setPath(input, o.path, o.value);
  if (opts.overrides) input = deepMerge(input, opts.overrides);

  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration${file ? ` (file ${file} + environment)` : ' (environment)'}:\n${formatIssues(result.error.issues, input)}`,
      { hint: 'see the configuration reference in README.md' },
    );
  }
  return deepFreeze(resolve(result.data, env));
}

function resolve(raw: RawConfig, env: NodeJS.ProcessEnv): SluiceConfig {
  const names = new Set<string>();
  const topics = new Set<string>();
  const sources: ResolvedSource[] = raw.sources.map((s) => {
    if (names.has(s.name))
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `sources: duplicate source name "${s.name}"`);
    if (topics.has(s.topic))
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `sources: topic "${s.topic}" is listed twice`);
    names.add(s.name);
    topics.add(s.topic);
    if (s.format === 'json' && s.jsonSchemaId === undefined) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `sources.${s.name}.jsonSchemaId is required when format is json`,
        {
          hint: 'name the schema id from schemas/registry.json that the JSON records follow',
        },
      );
    }
    return {
      ...s,
      outputs: {
        clean: s.outputs.clean ?? `clean.${s.name}`,
        redacted: s.outputs.redacted ?? `redacted.${s.name}`,
        quarantine: s.outputs.quarantine ?? `quarantine.${s.name}`,
      },
    };
  });
  const all = new Set<string>([raw.auditTopic]);
  for (const s of sources) {
    for (const t of [s.outputs.clean, s.outputs.redacted, s.outputs.quarantine]) {
      if (topics.has(t)) {
        throw new SluiceError(
          ErrorCodes.CONFIG_INVALID,
          `source ${s.name}: output topic "${t}" is also an input topic`,
          {
            hint: 'outputs must differ from every raw topic, or records would be scanned in a loop',
          },
        );
      }
      if (all.has(t)) throw new SluiceError(ErrorCodes.CONFIG_INVALID, `output topic "${t}" is used twice`);
      all.add(t);
    }
  }

  let keyText = raw.secrets.fingerprintKey;
  if (!keyText && raw.secrets.fingerprintKeyFile)
    keyText = readSecretFile(raw.secrets.fingerprintKeyFile, 'secrets.fingerprintKeyFile');
  if (!keyText) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'secrets.fingerprintKey is not set', {
      hint: 'set SLUICE_FINGERPRINT_KEY to the same 32-byte hex key on every instance (`openssl rand -hex 32`)',
    });
  }
  const fingerprintKey = decodeKeyMaterial(keyText, 'secrets.fingerprintKey');

  if (!raw.secrets.quarantinePublicKeyFile) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'secrets.quarantinePublicKeyFile is not set', {
      hint: "set SLUICE_QUARANTINE_PUBLIC_KEY_FILE to security's X25519 public key (PEM); create a pair with `sluice keys generate`",
    });
  }
  const pem = readSecretFile(raw.secrets.quarantinePublicKeyFile, 'secrets.quarantinePublicKeyFile');
  let quarantinePublicKey: KeyObject;
  try {
    quarantinePublicKey = createPublicKey(pem);
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `secrets.quarantinePublicKeyFile is not a PEM public key: ${(err as Error).message}`,
      {
        hint: 'use the public half written by `sluice keys generate` (never the private key)',
      },
    );
  }
  if (quarantinePublicKey.asymmetricKeyType !== 'x25519') {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `secrets.quarantinePublicKeyFile holds a ${quarantinePublicKey.asymmetricKeyType} key; an X25519 key is required`,
    );
  }

  const { sources: _s, instanceId, ...rest } = raw;
  return {
    ...rest,
    instanceId: instanceId ?? env.HOSTNAME ?? `${hostname()}-${process.pid}`,
    sources,
    fingerprintKey,
    quarantinePublicKey,
    quarantineKeyId: raw.secrets.quarantineKeyId ?? keyIdOf(quarantinePublicKey),
  };
}

function readSecretFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
