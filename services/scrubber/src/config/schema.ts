import { z } from 'zod';

/**
 * The one validated configuration of the scrubber. Defaults live next to each key and
 * work against the local broker started by `npm run kafka:start`.
 * Objects are strict: an unknown key is an error (a typo must not silently fall back to a default).
 */

const outputsSchema = z.strictObject({
  clean: z.string().min(1).optional(),
  redacted: z.string().min(1).optional(),
  quarantine: z.string().min(1).optional(),
});

export const sourceSchema = z.strictObject({
  /** Short name used in metrics labels, audit records and output topic names. */
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lowercase name like "chat" (letters, digits, _ or -)'),
  topic: z.string().min(1),
  /** How record values are encoded on the wire. */
  format: z.enum(['avro', 'json']).default('avro'),
  /** For `json` sources: the schema id (from schemas/registry.json) the JSON must conform to. */
  jsonSchemaId: z.number().int().positive().optional(),
  /** Which rebuild logic applies: keystroke reassembly for telemetry, conversation windows for chat. */
  kind: z.enum(['telemetry', 'chat', 'generic']).default('generic'),
  outputs: outputsSchema.default({}),
});

const saslSchema = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string().min(1),
});

const sslSchema = z.union([
  z.boolean(),
  z.strictObject({
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }),
]);

/**
 * The `kafka` section, shared by every Sluice process (scrubber, CLI, canary) so a principal's
 * connection settings are written the same way everywhere; only the default client id differs.
 */
export function kafkaSectionSchema(clientId: string) {
  const defaults = {
    brokers: ['127.0.0.1:9092'],
    clientId,
    connectionTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  };
  return z
    .strictObject({
      brokers: z
        .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'))
        .min(1)
        .default(defaults.brokers),
      clientId: z.string().min(1).default(clientId),
      ssl: sslSchema.optional(),
      sasl: saslSchema.optional(),
      connectionTimeoutMs: z.number().int().positive().default(defaults.connectionTimeoutMs),
      requestTimeoutMs: z.number().int().positive().default(defaults.requestTimeoutMs),
    })
    .default(defaults);
}

export type KafkaSection = z.output<ReturnType<typeof kafkaSectionSchema>>;

/** The ops HTTP server (/metrics, /healthz, /readyz); the canary uses it with its own port. */
export function httpSectionSchema(port: number) {
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(port),
    })
    .default({ enabled: true, host: '127.0.0.1', port });
}

export const logSectionSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .default({ level: 'info' });

/** One rule's override, globally (`scan.overrides`) or for one source (`scan.sourceOverrides`). */
const ruleOverrideSchema = z.strictObject({
  action: z.enum(['redact', 'quarantine']).optional(),
  shadow: z.boolean().optional(),
  enabled: z.boolean().optional(),
});

const DAY_MS = 24 * 60 * 60 * 1000;

export const configSchema = z.strictObject({
  instanceId: z.string().min(1).optional(),
  kafka: kafkaSectionSchema('sluice-scrubber'),
  group: z
    .strictObject({
      id: z.string().min(1).default('sluice-scrubber'),
      sessionTimeoutMs: z.number().int().positive().default(30_000),
      heartbeatIntervalMs: z.number().int().positive().default(3_000),
      rebalanceTimeoutMs: z.number().int().positive().default(60_000),
      /**
       * Partitions processed at once; feeds the worker pool from several partitions. At least the
       * partitions an instance owns: kafkajs fetches again only when every batch of the previous
       * fetch is handled, so fewer means waves of transactions (latency) and idle partitions.
       */
      partitionsConsumedConcurrently: z.number().int().min(1).max(64).default(8),
      maxBytesPerPartition: z.number().int().positive().default(1_048_576),
      maxWaitTimeMs: z.number().int().positive().default(500),
    })
    .default({
      id: 'sluice-scrubber',
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 60_000,
      partitionsConsumedConcurrently: 8,
      maxBytesPerPartition: 1_048_576,
      maxWaitTimeMs: 500,
    }),
  transactions: z
    .strictObject({
      /** Transactional ids are `<idPrefix>-<topic>-<partition>`: one per input partition (pre-KIP-447 fencing). */
      idPrefix: z.string().min(1).default('sluice-scrubber'),
      timeoutMs: z.number().int().positive().default(60_000),
    })
    .default({ idPrefix: 'sluice-scrubber', timeoutMs: 60_000 }),
  sources: z
    .array(sourceSchema)
    .min(1)
    .default([
      { name: 'telemetry', topic: 'raw.telemetry', format: 'avro', kind: 'telemetry', outputs: {} },
      { name: 'chat', topic: 'raw.chat', format: 'avro', kind: 'chat', outputs: {} },
    ]),
  auditTopic: z.string().min(1).default('sluice.audit'),
  /**
   * Where each quarantined payload's data key lives (docs/security.md, crypto-shredding).
   * `inline`: derived from an ephemeral key in the envelope (self-contained; deleting it means
   * rewriting the topic). `topic`: a random per-record key, wrapped to security's key, in the
   * compacted `dataKeyTopic` (same transaction); a tombstone there shreds exactly that payload.
   */
  quarantine: z
    .strictObject({
      dataKeys: z.enum(['inline', 'topic']).default('topic'),
      dataKeyTopic: z.string().min(1).default('sluice.quarantine.keys'),
    })
    .default({ dataKeys: 'topic', dataKeyTopic: 'sluice.quarantine.keys' }),
  topics: z
    .strictObject({
      /** Create missing output topics at start (same partition count as the source); else validate only. */
      create: z.boolean().default(true),
      replicationFactor: z.number().int().positive().default(1),
      auditPartitions: z.number().int().positive().default(3),
      /** retention.ms of quarantine topics the scrubber creates (docs/security.md, Retention). */
      quarantineRetentionMs: z
        .number()
        .int()
        .positive()
        .default(30 * DAY_MS),
      /** retention.ms of the audit topic when the scrubber creates it: it holds no payloads. */
      auditRetentionMs: z
        .number()
        .int()
        .positive()
        .default(400 * DAY_MS),
    })
    .default({
      create: true,
      replicationFactor: 1,
      auditPartitions: 3,
      quarantineRetentionMs: 30 * DAY_MS,
      auditRetentionMs: 400 * DAY_MS,
    }),
  limits: z
    .strictObject({
      /**
       * Records larger than this (key + value + headers) are not scanned or carried: they go to
       * quarantine by reference (coordinates, SHA-256, size). Must sit below the output topics'
       * max.message.bytes minus the envelope overhead; checked at start.
       */
      maxRecordBytes: z
        .number()
        .int()
        .positive()
        .default(512 * 1024),
      /** Upper bound of input records handed to one transaction. */
      maxBatchRecords: z.number().int().positive().default(2_000),
    })
    .default({ maxRecordBytes: 512 * 1024, maxBatchRecords: 2_000 }),
  scan: z
    .strictObject({
      workers: z.number().int().min(1).max(64).optional(),
      taskTimeoutMs: z.number().int().positive().default(10_000),
      maxQueuedBatches: z.number().int().positive().default(8),
      /** Chunks posted to a scan worker at once (one runs, the others wait in its queue). */
      tasksPerWorker: z.number().int().min(1).max(16).default(2),
      workerMaxOldGenerationMb: z.number().int().positive().default(512),
      /**
       * Engine module the scan workers load instead of the built-in engine (a CommonJS file that
       * exports createScanEngine(options) or ScanEngine.create(options)). For fault-injection
       * tests (test/integrity/worker-faults.test.ts) and custom engines; unset in production.
       */
      engineModule: z.string().min(1).optional(),
      includeBuiltinRules: z.boolean().default(true),
      ruleDirs: z.array(z.string()).default([]),
      regexEngine: z.enum(['auto', 're2-wasm', 're2-native']).default('auto'),
      /** Per-rule overrides: `{ ruleId: { action, shadow, enabled } }`. */
      overrides: z.record(z.string(), ruleOverrideSchema).default({}),
      /** Per-source overrides: `{ sourceName: { ruleId: {...} } }`. */
      sourceOverrides: z.record(z.string(), z.record(z.string(), ruleOverrideSchema)).default({}),
      internalDomains: z.array(z.string()).default([]),
    })
    .default({
      taskTimeoutMs: 10_000,
      maxQueuedBatches: 8,
      tasksPerWorker: 2,
      workerMaxOldGenerationMb: 512,
      includeBuiltinRules: true,
      ruleDirs: [],
      regexEngine: 'auto',
      overrides: {},
      sourceOverrides: {},
      internalDomains: [],
    }),
  keystrokes: z
    .strictObject({
      /** Rebuild typed text from key events of `telemetry` sources and hold events until settled. */
      enabled: z.boolean().default(true),
      /** A run of typing with no key for this long is settled (unless it looks like an unfinished secret). */
      idleGapMs: z.number().int().positive().default(2_000),
      /** No event is held longer; an unfinished secret-looking run then fails closed (masked, redacted). */
      maxHoldMs: z.number().int().positive().default(30_000),
      /** A run is settled once this many characters were typed (longer than any secret a rule matches). */
      maxRunChars: z.number().int().positive().default(4_096),
      /** Records queued per partition (held + waiting behind them) before the oldest runs settle early: ~3.2 KB each. */
      maxHeldEvents: z.number().int().positive().default(10_000),
      /** How often idle runs are checked and released. */
      tickMs: z.number().int().positive().default(250),
    })
    .default({
      enabled: true,
      idleGapMs: 2_000,
      maxHoldMs: 30_000,
      maxRunChars: 4_096,
      maxHeldEvents: 10_000,
      tickMs: 250,
    }),
  audit: z
    .strictObject({
      /**
       * Consecutive clean records may share one offset-range audit record (`offsetRangeEnd`):
       * `all` clean records, only `keystrokes`, or `none`. Redacted and quarantined records
       * always get their own decision.
       */
      cleanRanges: z.enum(['none', 'keystrokes', 'all']).default('all'),
    })
    .default({ cleanRanges: 'all' }),
  chat: z
    .strictObject({
      /** Scan the seam between consecutive messages of a conversation (split secrets, context). */
      windowEnabled: z.boolean().default(true),
      /** How long a message waits for the next of its conversation; 0 = no hold (later message only). */
      holdMs: z.number().int().min(0).default(1_000),
      /** Characters taken from each side of the seam. */
      seamChars: z.number().int().positive().default(256),
      /** Records queued per partition before held messages settle early. */
      maxQueued: z.number().int().positive().default(10_000),
      /** Conversations whose last message is kept as context (LRU). */
      maxConversations: z.number().int().positive().default(100_000),
      /**
       * Records before the committed offset a new owner of a partition re-reads as context only
       * (never emitted again), so the window survives a restart or rebalance. 0 = none.
       */
      contextRecords: z.number().int().min(0).max(200_000).default(1_000),
    })
    .default({
      windowEnabled: true,
      holdMs: 1_000,
      seamChars: 256,
      maxQueued: 10_000,
      maxConversations: 100_000,
      contextRecords: 1_000,
    }),
  secrets: z
    .strictObject({
      /** HMAC key for fingerprints and placeholders (hex or base64, >= 32 bytes). Same on every instance. */
      fingerprintKey: z.string().min(1).optional(),
      fingerprintKeyFile: z.string().min(1).optional(),
      /** Security's X25519 public key (PEM, SPKI) the quarantine payloads are encrypted to. */
      quarantinePublicKeyFile: z.string().min(1).optional(),
      /** Default: derived from the public key (sha-256 of its SPKI, 16 hex digits; `sluice keys generate` prints it). */
      quarantineKeyId: z.string().min(1).optional(),
    })
    .default({}),
  schemas: z.strictObject({ registryFile: z.string().optional() }).default({}),
  http: httpSectionSchema(9464),
  log: logSectionSchema,
  shutdown: z
    .strictObject({ drainTimeoutMs: z.number().int().positive().default(30_000) })
    .default({ drainTimeoutMs: 30_000 }),
});

export type ConfigInput = z.input<typeof configSchema>;
export type RawConfig = z.output<typeof configSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
