// Helpers every broker-backed test uses. Each test owns its resources (STYLE.md habit 4):
// fresh topics and groups with random suffixes, cleanup registered where a thing is made.
import crypto from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, IHeaders, KafkaConfig, LogEntry, Message, RecordMetadata } from 'kafkajs';
import { readBrokerInfo } from './broker-info';
import type { TestBrokerInfo } from './broker-info';

export type { TestBrokerInfo } from './broker-info';

/** The broker this jest run uses (kind, addresses, local run dir, owned). */
export function testBroker(): TestBrokerInfo {
  return readBrokerInfo();
}

export function brokers(): string[] {
  return readBrokerInfo().brokers;
}

const LEVELS: Record<string, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

// kafkajs logs expected noise at ERROR too (e.g. a consumer's group leaving during
// disconnect, retriable coordinator moves); real failures reach tests as rejected
// promises. So ERROR lines are kept but compact, and SLUICE_TEST_KAFKA_LOG=warn|info|debug
// turns up the volume when a test needs diagnosing. Entries carry no message payloads.
function compactLogCreator() {
  return ({ namespace, label, log }: LogEntry): void => {
    const { message, error } = log as { message?: string; error?: string };
    process.stderr.write(`kafkajs ${label} [${namespace}] ${message ?? ''}${error ? ` (${error})` : ''}\n`);
  };
}

/** A kafkajs client for the test broker; overrides win (e.g. sasl, retry). */
export function kafkaClient(clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers(),
    logLevel: LEVELS[(process.env.SLUICE_TEST_KAFKA_LOG || 'error').toLowerCase()] ?? logLevel.ERROR,
    logCreator: compactLogCreator,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    ...overrides,
  });
}

/** `prefix-<12 hex>`: unique across tests, runs and engineers sharing a broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string>;
}

/**
 * Creates topics and waits for their leaders. With `cleanup`, deletes them when the test
 * ends, so a shared broker does not fill up with test topics.
 */
export async function createTopics(admin: Admin, topics: TopicSpec[], cleanup?: Cleanup): Promise<void> {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions ?? 1,
      configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  if (!created)
    throw new Error(`createTopics: a topic already exists: ${topics.map((t) => t.topic).join(', ')}`);
  if (cleanup) {
    const names = topics.map((t) => t.topic);
    cleanup.defer(`delete topics ${names.join(', ')}`, () =>
      admin.deleteTopics({ topics: names, timeout: 10000 }),
    );
  }
}

/** Non-transactional, acks=all produce; a fresh producer each call so tests stay independent. */
export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    return await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

export interface ConsumeOptions {
  topics: string[];
  /** read_committed (the default: what Sluice's downstream consumers use) or read_uncommitted. */
  readCommitted?: boolean;
  /** Stop once this many messages arrived, then keep listening `settleMs` to catch extras. */
  expectedCount?: number;
  /** Stop once this returns true for the messages so far. */
  until?: (messages: readonly ConsumedMessage[]) => boolean;
  /** After the stop condition, keep reading this long so duplicates show up (default 500). */
  settleMs?: number;
  /** Fail after this long (default 30 s). */
  deadlineMs?: number;
  /** Without expectedCount/until: stop after this long with no new message (default 2000). */
  idleMs?: number;
}

/**
 * Reads the topics from the beginning with a fresh consumer group and returns what it saw,
 * in arrival order (per-partition order is Kafka's). Throws on the deadline, saying how
 * many messages it got, so a missing record fails loudly instead of returning a short list.
 */
export async function consumeAll(kafka: Kafka, opts: ConsumeOptions): Promise<ConsumedMessage[]> {
  const {
    topics,
    readCommitted = true,
    expectedCount,
    until,
    settleMs = 500,
    deadlineMs = 30000,
    idleMs = 2000,
  } = opts;
  const messages: ConsumedMessage[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('test-consume'),
    readUncommitted: !readCommitted,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    // disconnect() waits for the fetch in flight; the 5 s default long poll made every
    // consumeAll last 5 s longer than needed.
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  const done = (): boolean =>
    expectedCount !== undefined ? messages.length >= expectedCount : until ? until(messages) : false;

  let lastArrival = Date.now();
  let crashed: Error | null = null;
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
          timestamp: message.timestamp,
        });
        lastArrival = Date.now();
      },
    });
    const what =
      expectedCount !== undefined
        ? `${expectedCount} messages from ${topics.join(', ')}`
        : until
          ? `the 'until' condition on ${topics.join(', ')}`
          : `${topics.join(', ')} to go idle`;
    await waitFor(
      () => {
        if (crashed) throw crashed;
        if (expectedCount === undefined && !until) return Date.now() - lastArrival >= idleMs;
        return done();
      },
      { what, deadlineMs, intervalMs: 50, describe: () => `got ${messages.length} message(s)` },
    );
    if (expectedCount !== undefined || until) {
      // Not synchronisation: a window in which duplicates or extras, if any, get seen.
      const settleUntil = Date.now() + settleMs;
      await waitFor(() => Date.now() >= settleUntil, { what: 'settle window', deadlineMs: settleMs + 1000 });
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export interface WaitForOptions {
  /** What is awaited, for the error message: "the group offset to reach 3". */
  what: string;
  deadlineMs?: number;
  intervalMs?: number;
  /** Extra detail for the error message, computed at the deadline. */
  describe?: () => string;
}

/**
 * Polls `condition` until it returns a truthy value (returned) or the deadline passes
 * (throws naming `what`, with the last error the condition threw). A condition that
 * throws is retried: transient broker errors should not end the wait early.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  opts: WaitForOptions,
): Promise<NonNullable<T>> {
  const { what, deadlineMs = 10000, intervalMs = 100, describe } = opts;
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = [
        describe?.(),
        lastError ? `last error: ${(lastError as Error).message ?? String(lastError)}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      throw new Error(
        `waitFor: ${what} did not happen within ${deadlineMs} ms${detail ? ` (${detail})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

type Disposer = { what: string; fn: () => unknown };

/** A stack of disposers run in reverse order; every disposer runs even if one fails. */
export class Cleanup {
  private readonly stack: Disposer[] = [];

  /** Runs `fn` at the end of the test. */
  defer(what: string, fn: () => unknown): void {
    this.stack.push({ what, fn });
  }

  /** Registers `dispose(resource)` and returns the resource, so it reads at the creation site. */
  add<T>(resource: T, dispose: (resource: T) => unknown, what = 'resource'): T {
    this.defer(what, () => dispose(resource));
    return resource;
  }

  /** Connects a kafkajs admin/producer/consumer and registers its disconnect. */
  async connect<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(
    client: T,
    what = 'kafka client',
  ): Promise<T> {
    await client.connect();
    this.defer(`disconnect ${what}`, () => client.disconnect());
    return client;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.stack.length > 0) {
      const { what, fn } = this.stack.pop() as Disposer;
      try {
        await fn();
      } catch (err) {
        errors.push(new Error(`cleanup '${what}' failed: ${(err as Error).message ?? String(err)}`));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
  }
}

/** A Cleanup emptied after each test of the calling file/describe (call at its top level). */
export function useCleanup(): Cleanup {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  return cleanup;
}
