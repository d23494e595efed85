import type {
  Admin,
  Consumer,
  EachBatchPayload,
  Kafka,
  PartitionOffset,
  Producer,
  RecordMetadata,
} from 'kafkajs';
import { ErrorCodes, SluiceError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { SluiceConfig, ResolvedSource } from '../config/load-config';
import type { AnalysedRecord, BatchProcessor, OutputMessage, ProcessedBatch } from '../route/batch-processor';
import { KeystrokeHoldback } from '../rebuild/keystroke-holdback';
import { ChatWindowHoldback } from '../rebuild/chat-window-holdback';
import type { PartitionHoldback } from '../rebuild/holdback';
import type { AuditWriter } from '../audit/audit-writer';
import type { ScrubberMetrics } from '../metrics/scrubber-metrics';
import { PartitionProducers } from './partition-producers';
import { ensureTopics, type TopicLayout } from './topic-setup';
import { ensureDataKeyTopic } from '../quarantine/data-key-store';
import { offsetAtLeast, offsetPlus } from './offsets';
import type { RecordScanner } from '../scan/types';

interface PartitionState {
  /** Consumer-group generation this partition's producer was initialised in. */
  generation: number;
  /** First offset not yet committed by us (known after the offset check on a fresh producer). */
  committed: bigint | null;
  busy: boolean;
  /** Context hold-back: keystrokes (telemetry) or conversation windows (chat); null otherwise. */
  holdback: PartitionHoldback | null;
  /** Serialises batches and hold-back release ticks of this partition. */
  lock: Promise<void>;
  /**
   * Set while a new owner re-reads records a previous owner already emitted, as context for the
   * hold-back (the committed offset's metadata says from where): records below it are context.
   */
  contextBelow: bigint | null;
  /** Batches skipped while waiting for the seek to the context (see processChunk). */
  contextWaits: number;
}

function newState(): PartitionState {
  return {
    generation: -1,
    committed: null,
    busy: false,
    holdback: null,
    lock: Promise.resolve(),
    contextBelow: null,
    contextWaits: 0,
  };
}

/**
 * Offset-commit metadata: where a new owner must start re-reading to rebuild the hold-back's
 * context (a run of typing whose head was already emitted). Bounded: a value further back than
 * MAX_CONTEXT_RECORDS is not trusted and the context is rebuilt from there at most.
 */
const CONTEXT_META_PREFIX = 'sluice1:context-from=';
const MAX_CONTEXT_RECORDS = 200_000n;

export function encodeCommitMetadata(contextFrom: bigint | null, next: bigint): string | null {
  return contextFrom !== null && contextFrom < next ? `${CONTEXT_META_PREFIX}${contextFrom}` : null;
}

export function decodeCommitMetadata(metadata: string | null | undefined, committed: bigint): bigint | null {
  if (!metadata || !metadata.startsWith(CONTEXT_META_PREFIX)) return null;
  const raw = metadata.slice(CONTEXT_META_PREFIX.length);
  if (!/^\d{1,19}$/.test(raw)) return null;
  const from = BigInt(raw);
  if (from >= committed) return null;
  return from < committed - MAX_CONTEXT_RECORDS ? committed - MAX_CONTEXT_RECORDS : from;
}

/** Runs fn after everything queued on the partition's lock; the lock survives fn's failure. */
function withLock<T>(st: PartitionState, fn: () => Promise<T>): Promise<T> {
  const run = st.lock.then(fn);
  st.lock = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

export interface PipelineDeps {
  config: SluiceConfig;
  kafka: Kafka;
  logger: Logger;
  metrics: ScrubberMetrics;
  processors: Map<string, BatchProcessor>;
  audit: AuditWriter;
  /** The scanner rebuilt keystroke text goes through (the worker pool). */
  scanner?: RecordScanner;
}

/** How often a topic's high watermarks are asked for, to confirm held partitions are caught up. */
const HWM_CHECK_MS = 500;

export type PipelineStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Errors after which this producer must never be used again (another owner took the partition). */
function isFencing(err: unknown): boolean {
  const e = err as { type?: string; name?: string; message?: string };
  return (
    e?.type === 'INVALID_PRODUCER_EPOCH' ||
    e?.type === 'PRODUCER_FENCED' ||
    (e?.name === 'KafkaJSNonRetriableError' && /fenced|epoch/i.test(e.message ?? ''))
  );
}

/**
 * consume → scan → produce, one Kafka transaction per chunk of a partition's batch that carries
 * the outputs, the audit records and the consumer offsets (kafkajs `sendOffsets`).
 * Exactly once across crashes and rebalances, with the pre-KIP-447 protocol kafkajs speaks:
 *  1. a transactional id per input partition, so a new owner fences the old one;
 *  2. on the first batch after every group join (or after any failure) the partition's producer is
 *     re-created and initialised FIRST (this aborts a zombie's open transaction), and only then is
 *     the committed offset re-read with the admin client: kafkajs fetched it at join time, without
 *     KIP-447's wait for pending transactions, so it can be stale; records below it are skipped.
 */
export class ScrubberPipeline {
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private producers: PartitionProducers;
  private readonly partitions = new Map<string, PartitionState>();
  private generation = 0;
  private assigned = new Set<string>();
  private sourcesByTopic = new Map<string, ResolvedSource>();
  private layout: TopicLayout | null = null;
  private _status: PipelineStatus = 'starting';
  private consuming = false;
  private lastBatchAt = 0;
  private fatal: ((err: Error) => void) | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private holdTicking = false;
  private readonly hwmCheckedAt = new Map<string, number>();

  constructor(private readonly deps: PipelineDeps) {
    this.producers = new PartitionProducers(deps.kafka, {
      idPrefix: deps.config.transactions.idPrefix,
      transactionTimeoutMs: deps.config.transactions.timeoutMs,
      logger: deps.logger,
    });
    for (const s of deps.config.sources) this.sourcesByTopic.set(s.topic, s);
  }

  get status(): PipelineStatus {
    return this._status;
  }

  /** Ready = connected, has joined the group with an assignment, and its consumer is running. */
  get ready(): boolean {
    return this._status === 'running' && this.consuming && this.assigned.size > 0;
  }

  get assignedPartitions(): string[] {
    return [...this.assigned];
  }

  get lastBatchTime(): number {
    return this.lastBatchAt;
  }

  /** Called with an error when the consumer crashed for good; the process should exit non-zero. */
  onFatal(fn: (err: Error) => void): void {
    this.fatal = fn;
  }

  async start(): Promise<void> {
    const { config, kafka, logger } = this.deps;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.layout = await ensureTopics(this.admin, config, logger);
    if (config.quarantine.dataKeys === 'topic') {
      await ensureDataKeyTopic(
        this.admin,
        {
          topic: config.quarantine.dataKeyTopic,
          create: config.topics.create,
          replicationFactor: config.topics.replicationFactor,
        },
        logger,
      );
    }

    const consumer = kafka.consumer({
      groupId: config.group.id,
      sessionTimeout: config.group.sessionTimeoutMs,
      heartbeatInterval: config.group.heartbeatIntervalMs,
      rebalanceTimeout: config.group.rebalanceTimeoutMs,
      maxBytesPerPartition: config.group.maxBytesPerPartition,
      maxWaitTimeInMs: config.group.maxWaitTimeMs,
      // Outputs of an aborted Sluice transaction never show up as inputs; raw producers that use
      // transactions get the same guarantee.
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // kafkajs gives up on a group-coordinator lookup after its retries and calls that
      // non-retriable (no restart: the process exits). 5 retries from 300 ms last ~10 s, shorter
      // than a broker restart; 10 capped at 10 s ride out about a minute (soak, issue 8).
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        restartOnFailure: async () => this._status === 'running',
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      logger.error({ err: e.payload.error.message, restart: e.payload.restart }, 'consumer crashed');
      this.consuming = e.payload.restart;
      if (!e.payload.restart && this._status === 'running') void this.recoverConsumer(e.payload.error);
    });
    consumer.on(consumer.events.STOP, () => (this.consuming = false));
    await consumer.connect();
    for (const s of config.sources) await consumer.subscribe({ topic: s.topic, fromBeginning: true });
    this._status = 'running';
    await this.runConsumer();
    this.consuming = true;
    // Lag is also set after each batch, but a stalled consumer has no batches: poll the high
    // watermarks so "lag growing" alerts fire exactly when processing has stopped.
    this.lagTimer = setInterval(() => void this.refreshLag(), LAG_REFRESH_MS);
    this.lagTimer.unref();
    const holds = config.sources.some(
      (s) =>
        (s.kind === 'telemetry' && config.keystrokes.enabled) ||
        (s.kind === 'chat' && config.chat.windowEnabled),
    );
    if (holds) {
      this.holdTimer = setInterval(
        () => {
          if (this.holdTicking) return;
          this.holdTicking = true;
          void this.releaseTick().finally(() => (this.holdTicking = false));
        },
        Math.min(config.keystrokes.tickMs, Math.max(50, Math.floor(config.chat.holdMs / 4) || 250)),
      );
      this.holdTimer.unref();
    }
    logger.info(
      { sources: config.sources.map((s) => s.topic), group: config.group.id },
      'scrubber consuming',
    );
  }

  private async runConsumer(): Promise<void> {
    await this.consumer!.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.config.group.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /**
   * kafkajs gives up for good on some errors it calls non-retriable although the broker is only
   * away for a moment — above all "Failed to find group coordinator" while the only broker
   * restarts (seen in the broker-bounce scenario). Those are retried here: connect and run again,
   * with backoff, for up to CONSUMER_RECOVERY_MS. Authorization and authentication failures, and
   * anything still failing after that, are fatal (the process exits for its orchestrator).
   */
  private async recoverConsumer(err: Error): Promise<void> {
    const { logger } = this.deps;
    const fatal = (e: Error) => {
      if (this._status !== 'running') return;
      this._status = 'failed';
      this.fatal?.(e);
    };
    if (!isBrokerUnavailable(err)) return fatal(err);
    const deadline = Date.now() + CONSUMER_RECOVERY_MS;
    let delay = 500;
    let last: Error = err;
    while (this._status === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, delay));
      if (this._status !== 'running') return;
      try {
        await this.consumer!.connect();
        await this.runConsumer();
        this.consuming = true;
        logger.warn({ err: err.message }, 'consumer restarted after kafkajs gave up on a broker outage');
        return;
      } catch (e) {
        last = e as Error;
        logger.warn({ err: last.message }, 'consumer restart failed; retrying');
        if (!isBrokerUnavailable(last)) break;
        delay = Math.min(delay * 2, 5_000);
      }
    }
    fatal(last);
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    this.generation++;
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) for (const p of parts) next.add(`${topic}:${p}`);
    for (const key of this.assigned) {
      if (next.has(key)) continue;
      const i = key.lastIndexOf(':');
      const topic = key.slice(0, i);
      const partition = Number(key.slice(i + 1));
      this.deps.metrics.forgetPartition(topic, partition);
      const st = this.partitions.get(key);
      // The state object is kept (never replaced) so that a release tick or batch still running
      // on it and the next owner generation share one lock; revocation only forgets held
      // records (never flushed: the next owner re-reads them) and the producer, under that lock.
      if (st) void withLock(st, () => this.revoke(topic, partition, st));
    }
    this.assigned = next;
    this.deps.metrics.assignedPartitions.set(next.size);
    this.deps.logger.info({ generation: this.generation, partitions: [...next] }, 'partitions assigned');
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    const processor = this.deps.processors.get(topic);
    if (!processor) throw new SluiceError(ErrorCodes.KAFKA, `no processor for topic ${topic}`);
    let st = this.partitions.get(key);
    if (!st) this.partitions.set(key, (st = newState()));
    const state = st;
    state.busy = true;
    // When the fetch that produced this batch happened (near enough): the high watermark it
    // reported was true then, and only then.
    const fetchedAt = Date.now();
    // Not fetched again while this batch runs (kafkajs-fetch-ahead fetches the other partitions).
    const resume = payload.pause();
    try {
      const max = this.deps.config.limits.maxBatchRecords;
      const msgs = batch.messages;
      for (let start = 0; start < msgs.length; start += max) {
        // A batch fetched before a rebalance can still arrive for a partition we no longer own:
        // processing it would fence the new owner. Leave it; the new owner reads it.
        if (!isRunning() || isStale() || !this.assigned.has(key)) return;
        const chunk = msgs.slice(start, start + max);
        const seeked = await withLock(state, () =>
          this.processChunk(topic, partition, state, processor, chunk, resolveOffset),
        );
        // Re-reading context from an earlier offset: this batch is superseded by the seek.
        if (seeked) return;
        await heartbeat();
      }
      // Revoked while the batch ran: setting it would resurrect a series forgetPartition removed.
      if (this.assigned.has(key))
        this.deps.metrics.consumerLag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()));
      if (state.holdback && state.generation === this.generation)
        state.holdback.markCaughtUp(BigInt(batch.highWatermark), fetchedAt);
      this.lastBatchAt = Date.now();
    } finally {
      st.busy = false;
      try {
        if (!this.assigned.has(key)) await withLock(state, () => this.revoke(topic, partition, state));
      } finally {
        resume();
      }
    }
  }

  /** Forgets a revoked partition's held records and producer (under the partition's lock). */
  private async revoke(topic: string, partition: number, st: PartitionState): Promise<void> {
    if (this.assigned.has(`${topic}:${partition}`) && st.generation === this.generation) return;
    st.holdback = null;
    st.generation = -1;
    st.committed = null;
    st.contextBelow = null;
    await this.producers.drop(topic, partition);
  }

  private async processChunk(
    topic: string,
    partition: number,
    st: PartitionState,
    processor: BatchProcessor,
    chunk: EachBatchPayload['batch']['messages'],
    resolveOffset: ((offset: string) => void) | null,
  ): Promise<boolean> {
    const { config, metrics, logger } = this.deps;
    const started = process.hrtime.bigint();
    if (st.generation !== this.generation) {
      // New group generation: this partition may have had another owner in between, and kafkajs
      // re-delivers from the committed offset, so held keystrokes are rebuilt from the re-read.
      await this.producers.drop(topic, partition);
      st.generation = this.generation;
      st.committed = null;
      st.contextBelow = null;
      st.holdback = this.newHoldback(topic, partition);
    }
    let inTxn = false;
    let transaction: Awaited<ReturnType<Producer['transaction']>> | null = null;
    const lap = stageLaps(metrics, this.sourcesByTopic.get(topic)?.name ?? topic, started);
    try {
      const got = await this.producers.get(topic, partition);
      if (got.fresh) st.committed = null;
      // transaction() initialises the producer id on first use: that is the fencing step.
      transaction = await got.producer.transaction();
      inTxn = true;
      if (st.committed === null) {
        const c = await this.fetchCommitted(topic, partition);
        st.committed = c.offset;
        if (st.holdback?.fresh && c.contextFrom !== null && this.consumer) {
          // A new owner: the previous one emitted the head of runs still open at its last commit.
          // Re-read them as context so their tails get the runs' findings.
          st.contextBelow = c.offset;
          logger.info(
            { topic, partition, from: c.contextFrom.toString(), committed: c.offset.toString() },
            're-reading hold-back context emitted by the previous owner',
          );
          metrics.holdbackContextRecords.inc({ topic }, Number(c.offset - c.contextFrom));
          this.consumer.seek({ topic, partition, offset: c.contextFrom.toString() });
          await transaction.abort();
          inTxn = false;
          return true;
        }
        // Another owner may have committed past records we still hold (we were fenced and came
        // back): those were emitted by it, and must not be released a second time.
        st.holdback?.dropBelow(st.committed);
      }
      const committed = st.committed;
      lap('begin');
      if (st.contextBelow !== null && st.holdback?.fresh && chunk.length > 0) {
        // A batch fetched before the seek to the context took effect: wait for the re-read. If the
        // context is gone (retention deleted it), give up after a few batches and go on without.
        if (BigInt(chunk[0]!.offset) >= st.contextBelow && ++st.contextWaits <= 3) {
          await transaction.abort();
          inTxn = false;
          return true;
        }
        if (st.contextWaits > 3)
          logger.warn({ topic, partition }, 'hold-back context could not be re-read; going on without it');
        st.contextWaits = 0;
      }
      const contextBelow = st.contextBelow;
      const lastChunkOffset = chunk.length > 0 ? chunk[chunk.length - 1]!.offset : null;
      let records: AnalysedRecord[];
      if (st.holdback) {
        // Head-of-line hold: release only the settled prefix; commit offsets no further than it.
        // While re-reading context everything delivered (from the seek target) is taken.
        const todo = contextBelow !== null ? chunk : chunk.filter((m) => offsetAtLeast(m.offset, committed));
        if (todo.length > 0) {
          const below = contextBelow ?? undefined;
          const decoded = processor.decode(todo, { contextBelow: below });
          // A hold-back that can (chat) queues the records first: its own texts (the seams) ride
          // in the records' worker round trip. The others ingest the scanned records.
          const prep = st.holdback.prepare?.(decoded.records, below);
          const extra = await processor.scan(decoded, prep?.requests);
          lap('analyse');
          if (prep) prep.apply(extra);
          else await st.holdback.ingest(decoded.records, below);
        }
        if (contextBelow !== null && lastChunkOffset !== null && BigInt(lastChunkOffset) + 1n >= contextBelow)
          st.contextBelow = null;
        await st.holdback.tick();
        records = st.holdback.releasable();
        lap('holdback');
      } else {
        const todo = chunk.filter((m) => offsetAtLeast(m.offset, committed));
        records = todo.length > 0 ? await processor.analyse(todo) : [];
        lap('analyse');
      }
      if (records.length === 0) {
        await transaction.abort();
        inTxn = false;
        if (lastChunkOffset !== null && resolveOffset) resolveOffset(lastChunkOffset);
        this.recordHeld(topic, partition, st);
        return false;
      }
      const lastOffset = records[records.length - 1]!.p.msg.offset;
      const source = this.sourcesByTopic.get(topic)!;
      const processed = processor.finish(topic, partition, records);
      const outputOffsets = await sendInSlices(transaction, processed.outputs);
      lap('produce');
      const audit = this.deps.audit.build(
        topic,
        partition,
        processed,
        outputOffsets,
        this.layout!.auditPartitions,
      );
      await sendInSlices(
        transaction,
        audit.map((m) => ({
          topic: config.auditTopic,
          partition: m.partition!,
          key: m.key as Buffer,
          value: m.value as Buffer,
          headers: {},
        })),
      );
      lap('audit');
      const next = (BigInt(lastOffset) + 1n).toString();
      const metadata = st.holdback
        ? encodeCommitMetadata(st.holdback.contextFrom(records.length), BigInt(next))
        : null;
      // kafkajs' PartitionOffset type omits `metadata`, which its TxnOffsetCommit encoder sends.
      const committedOffset: PartitionOffset & { metadata: string | null } = {
        partition,
        offset: next,
        metadata,
      };
      await transaction.sendOffsets({
        consumerGroupId: config.group.id,
        topics: [{ topic, partitions: [committedOffset] }],
      });
      await transaction.commit();
      lap('commit');
      inTxn = false;
      st.committed = BigInt(next);
      st.holdback?.commitReleased(records.length);
      if (lastChunkOffset !== null && resolveOffset) resolveOffset(lastChunkOffset);
      this.recordCommitted(source, processed, started);
      this.recordHeld(topic, partition, st);
      return false;
    } catch (err) {
      metrics.transactions.inc({ outcome: 'abort' });
      const info = describeError(err);
      logger.warn(
        { topic, partition, code: info.code, err: info.message, fenced: isFencing(err) },
        'batch failed; aborting and retrying from the committed offset',
      );
      if (inTxn && transaction) {
        try {
          await transaction.abort();
        } catch {
          // The producer is thrown away below; the broker aborts on the next InitProducerId.
        }
      }
      // Never reuse a producer after a failure: it may be fenced, stuck in ABORTING, or hold an
      // "ongoing transaction" after a broker hiccup. A new one re-initialises and re-reads offsets.
      await this.producers.drop(topic, partition);
      st.committed = null;
      throw new SluiceError(ErrorCodes.KAFKA, `batch of ${topic}/${partition} failed: ${info.message}`, {
        retriable: true,
        cause: err,
      });
    }
  }

  private newHoldback(topic: string, partition: number): PartitionHoldback | null {
    const source = this.sourcesByTopic.get(topic);
    const k = this.deps.config.keystrokes;
    if (!source || !this.deps.scanner) return null;
    if (source.kind === 'chat') {
      const c = this.deps.config.chat;
      if (!c.windowEnabled) return null;
      return new ChatWindowHoldback({
        source: source.name,
        scanner: this.deps.scanner,
        holdMs: c.holdMs,
        seamChars: c.seamChars,
        maxQueued: c.maxQueued,
        maxConversations: c.maxConversations,
        contextRecords: c.contextRecords,
      });
    }
    if (source.kind !== 'telemetry' || !k.enabled) return null;
    return new KeystrokeHoldback({
      source: source.name,
      scanner: this.deps.scanner,
      fingerprintKey: this.deps.config.fingerprintKey,
      idleGapMs: k.idleGapMs,
      maxHoldMs: k.maxHoldMs,
      maxRunChars: k.maxRunChars,
      maxHeldEvents: k.maxHeldEvents,
      onSettle: (r) => {
        this.deps.metrics.keystrokeRunsSettled.inc({ source: source.name, reason: r.reason });
        this.deps.logger.debug(
          {
            topic,
            partition,
            generation: this.generation,
            reason: r.reason,
            events: r.events,
            first: r.firstOffset.toString(),
            last: r.lastOffset.toString(),
            offsets: r.offsets.map(String).join(','),
            found: r.found,
            masked: r.masked,
          },
          'keystroke run settled',
        );
      },
    });
  }

  /**
   * A partition with held records and no new batches may be fully read (the typist stopped) or
   * unread (broker down, rebalance, starved fetch). Ask the broker for its high watermark, at
   * most every HWM_CHECK_MS per topic: only a confirmed caught-up partition lets wall-clock time
   * settle held runs.
   */
  private async confirmCaughtUp(): Promise<void> {
    const admin = this.admin;
    if (!admin) return;
    const topics = new Set<string>();
    for (const [key, st] of this.partitions) {
      if (st.holdback && st.holdback.queuedCount > 0 && !st.busy)
        topics.add(key.slice(0, key.lastIndexOf(':')));
    }
    const now = Date.now();
    for (const topic of topics) {
      if (now - (this.hwmCheckedAt.get(topic) ?? 0) < HWM_CHECK_MS) continue;
      this.hwmCheckedAt.set(topic, now);
      try {
        const asked = Date.now();
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const st = this.partitions.get(`${topic}:${p.partition}`);
          if (st?.holdback && st.generation === this.generation)
            st.holdback.markCaughtUp(BigInt(p.high), asked);
        }
      } catch (err) {
        // Unreachable broker: nothing is confirmed, held runs stay held (event time still works).
        this.deps.logger.debug({ topic, err: describeError(err).message }, 'high watermark check failed');
      }
    }
  }

  private recordHeld(topic: string, partition: number, st: PartitionState): void {
    if (!(st.holdback instanceof KeystrokeHoldback) || !this.assigned.has(`${topic}:${partition}`)) return;
    const labels = { topic, partition: String(partition) };
    this.deps.metrics.keystrokeHeldEvents.set(labels, st.holdback.heldCount);
    this.deps.metrics.keystrokeOldestHeldAge.set(labels, st.holdback.oldestAgeMs() / 1000);
  }

  /**
   * Releases hold-back runs that settled by time (idle gap, maximum hold) when no new record
   * arrives on their partition: a transaction of its own, under the partition's lock.
   */
  private async releaseTick(): Promise<void> {
    if (this._status !== 'running') return;
    await this.confirmCaughtUp();
    for (const [key, st] of this.partitions) {
      if (!st.holdback || st.holdback.queuedCount === 0 || st.busy || st.generation !== this.generation)
        continue;
      const i = key.lastIndexOf(':');
      const topic = key.slice(0, i);
      const partition = Number(key.slice(i + 1));
      const processor = this.deps.processors.get(topic);
      if (!processor || !this.assigned.has(key)) continue;
      try {
        await withLock(st, () => this.processChunk(topic, partition, st, processor, [], null));
      } catch (err) {
        // processChunk already aborted and dropped the producer; the next tick or batch retries.
        this.deps.logger.debug(
          { topic, partition, err: describeError(err).message },
          'hold-back release failed',
        );
      }
    }
  }

  /** sluice_consumer_lag_records = high watermark - committed offset, for every assigned partition. */
  private async refreshLag(): Promise<void> {
    const admin = this.admin;
    if (!admin || this._status !== 'running' || this.assigned.size === 0) return;
    try {
      const topics = new Set<string>();
      for (const key of this.assigned) topics.add(key.slice(0, key.lastIndexOf(':')));
      const committed = await admin.fetchOffsets({ groupId: this.deps.config.group.id, topics: [...topics] });
      for (const topic of topics) {
        const high = await admin.fetchTopicOffsets(topic);
        const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
        for (const h of high) {
          const key = `${topic}:${h.partition}`;
          // Revoked while we were asking: setting it would resurrect a series forgetPartition removed.
          if (!this.assigned.has(key)) continue;
          const c = BigInt(done.find((p) => p.partition === h.partition)?.offset ?? '-1');
          const lag = BigInt(h.high) - (c < 0n ? BigInt(h.low) : c);
          this.deps.metrics.consumerLag.set(
            { topic, partition: String(h.partition) },
            Number(lag < 0n ? 0n : lag),
          );
        }
      }
    } catch (err) {
      // Metrics only: the next refresh (or the next batch) sets it again.
      this.deps.logger.debug({ err: describeError(err).message }, 'lag refresh failed');
    }
  }

  private async fetchCommitted(
    topic: string,
    partition: number,
  ): Promise<{ offset: bigint; contextFrom: bigint | null }> {
    const res = await this.admin!.fetchOffsets({ groupId: this.deps.config.group.id, topics: [topic] });
    const p = res.find((t) => t.topic === topic)?.partitions.find((x) => x.partition === partition);
    const raw = p ? BigInt(p.offset) : -1n;
    const offset = raw < 0n ? 0n : raw;
    return { offset, contextFrom: raw < 0n ? null : decodeCommitMetadata(p?.metadata, offset) };
  }

  private recordCommitted(source: ResolvedSource, processed: ProcessedBatch, started: bigint): void {
    const m = this.deps.metrics;
    m.transactions.inc({ outcome: 'commit' });
    const now = Date.now();
    // Counted per verdict here and added once per batch: prom-client hashes the labels per call.
    const records = { clean: 0, redacted: 0, quarantined: 0 };
    const bytes = { clean: 0, redacted: 0, quarantined: 0 };
    const endToEnd = m.endToEndSeconds.labels({ source: source.name });
    for (const o of processed.outcomes) {
      const d = o.decision;
      records[d.verdict]++;
      bytes[d.verdict] += o.bytesIn;
      if (d.reason) {
        m.quarantineReasons.inc({ source: source.name, reason: d.reason });
        if (isDecodeReason(d.reason)) m.decodeErrors.inc({ source: source.name, reason: d.reason });
      }
      if (d.findings.length > 0) {
        let cats: Set<string> | null = null;
        for (const f of d.findings) {
          m.findings.inc({
            source: source.name,
            rule: f.ruleId,
            category: f.category,
            shadow: String(f.shadow),
          });
          if (!f.shadow) (cats ??= new Set()).add(f.category);
        }
        if (cats) for (const c of cats) m.recordsWithFindings.inc({ source: source.name, category: c });
      }
      const ts = o.timestampMs;
      if (Number.isFinite(ts)) endToEnd.observe(Math.max(0, now - ts) / 1000);
    }
    for (const verdict of ['clean', 'redacted', 'quarantined'] as const) {
      if (records[verdict] === 0) continue;
      m.records.inc({ source: source.name, verdict }, records[verdict]);
      m.bytes.inc({ source: source.name, verdict }, bytes[verdict]);
    }
    m.scanSeconds.observe({ source: source.name }, processed.scanNanos / 1e9);
    m.batchSeconds.observe({ source: source.name }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** SIGTERM: finish in-flight batches (their transactions commit), then leave the group. */
  async stop(): Promise<void> {
    if (this._status === 'stopped') return;
    this._status = 'stopping';
    if (this.lagTimer) clearInterval(this.lagTimer);
    // Held events are never flushed on shutdown: their offsets are not committed, so the next
    // owner re-reads and rebuilds them.
    if (this.holdTimer) clearInterval(this.holdTimer);
    try {
      await this.consumer?.stop();
      await this.consumer?.disconnect();
    } finally {
      await this.producers.dropAll();
      await this.admin?.disconnect();
      this._status = 'stopped';
    }
  }
}

const LAG_REFRESH_MS = 5_000;
/** How long the consumer is restarted in-process after kafkajs gives up during a broker outage. */
const CONSUMER_RECOVERY_MS = 120_000;

/** An error that means "the broker is not reachable right now", not "you may not" or "bad data". */
export function isBrokerUnavailable(err: Error): boolean {
  const text = `${err.name} ${err.message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
  if (/authori[sz]|authenticat|SASL|not allowed|permission/i.test(text)) return false;
  return /coordinator|ECONNREFUSED|ECONNRESET|ETIMEDOUT|connection|not available|leader|broker|timed? ?out|network/i.test(
    text,
  );
}

function isDecodeReason(code: string): boolean {
  return (
    code === ErrorCodes.DECODE_FAILED ||
    code === ErrorCodes.UNKNOWN_SCHEMA ||
    code === ErrorCodes.INVALID_UTF8
  );
}

/**
 * A topic-partition's messages in one produce request form one record batch, which the broker
 * checks against the topic's max.message.bytes; a 2,000-record chunk would exceed it. So the
 * outputs go out in consecutive slices of at most SLICE_BYTES, in order (per-partition order is
 * kept because slices are sent one after another), all inside the same transaction.
 */
const SLICE_BYTES = 512 * 1024;
const MESSAGE_OVERHEAD_BYTES = 80;

function messageBytes(o: OutputMessage): number {
  let n = MESSAGE_OVERHEAD_BYTES + (o.key?.length ?? 0) + (o.value?.length ?? 0);
  const headers = o.headers;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) n += name.length + Buffer.byteLength(one);
    else n += name.length + Buffer.byteLength(v);
  }
  return n;
}

type Txn = Awaited<ReturnType<Producer['transaction']>>;

async function sendInSlices(transaction: Txn, outputs: OutputMessage[]): Promise<Array<string | null>> {
  const offsets: Array<string | null> = new Array(outputs.length).fill(null);
  let start = 0;
  while (start < outputs.length) {
    let end = start;
    let bytes = 0;
    while (end < outputs.length) {
      const b = messageBytes(outputs[end]!);
      if (end > start && bytes + b > SLICE_BYTES) break;
      bytes += b;
      end++;
    }
    const slice = outputs.slice(start, end);
    const results = await transaction.sendBatch({ topicMessages: groupByTopic(slice), acks: -1 });
    const got = assignOffsets(slice, results);
    for (let i = 0; i < got.length; i++) offsets[start + i] = got[i]!;
    start = end;
  }
  return offsets;
}

/** kafkajs' topicMessages; the messages are the outputs themselves (kafkajs ignores `topic`). */
function groupByTopic(outputs: OutputMessage[]): Array<{ topic: string; messages: OutputMessage[] }> {
  const by = new Map<string, OutputMessage[]>();
  for (const o of outputs) {
    let list = by.get(o.topic);
    if (!list) by.set(o.topic, (list = []));
    list.push(o);
  }
  return [...by].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Output offsets from the produce response: messages to one topic-partition in one request are
 * appended in order from its base offset.
 */
function assignOffsets(outputs: OutputMessage[], results: RecordMetadata[]): Array<string | null> {
  // Per topic, per partition: the base offset and how many of its messages were numbered so far.
  const base = new Map<string, Map<number, { offset: string; next: number }>>();
  for (const r of results) {
    if (r.baseOffset === undefined) continue;
    let parts = base.get(r.topicName);
    if (!parts) base.set(r.topicName, (parts = new Map()));
    parts.set(r.partition, { offset: r.baseOffset, next: 0 });
  }
  const out = new Array<string | null>(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    const b = base.get(o.topic)?.get(o.partition);
    out[i] = b === undefined ? null : offsetPlus(b.offset, b.next++);
  }
  return out;
}

/**
 * Observes, per call, the time since the previous call (or `started`) as one stage of a batch
 * (sluice_batch_stage_seconds). Stages a batch does not reach are not observed.
 */
function stageLaps(metrics: ScrubberMetrics, source: string, started: bigint): (stage: string) => void {
  let last = started;
  return (stage) => {
    const now = process.hrtime.bigint();
    metrics.batchStageSeconds.observe({ source, stage }, Number(now - last) / 1e9);
    last = now;
  };
}
