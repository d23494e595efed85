// Seeding without reading back: every produce request names each message's partition (the
// key's murmur2 partition, as the producer contract asks), so the offsets of the records come
// from the produce response (a partition's messages in one request are appended in order from
// its base offset). An idempotent producer keeps a retried request from writing twice.
import { Partitioners, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import {
  TrafficGenerator,
  type GeneratedRecord,
} from '../../../services/scrubber/src/demo/traffic-generator';
import { coordKey, type Coordinates } from '../invariants';
import type { PipelineFixture } from '../pipeline-fixture';

/** What a tracked record must become; `secrets` must never reach clean or redacted. */
export type Expectation = GeneratedRecord['expect'];

export interface TrackedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
  expect: Expectation;
  /** Explicit partition; default: the key's murmur2 partition (partition 0 for a null key). */
  partition?: number;
}

/** Max bytes of one produce request: under the 1 MB default max.message.bytes of any broker kind. */
const REQUEST_BYTES = 768 * 1024;

const partitionerFn = Partitioners.DefaultPartitioner();

function partitionFor(topic: string, partitions: number, key: Buffer | null): number {
  if (key === null) return 0;
  const partitionMetadata: PartitionMetadata[] = [];
  for (let i = 0; i < partitions; i++) {
    partitionMetadata.push({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
    });
  }
  return partitionerFn({ topic, partitionMetadata, message: { key, value: null } });
}

/** One idempotent producer per fixture, disconnected by the fixture's cleanup. */
const producers = new WeakMap<PipelineFixture, Promise<Producer>>();

function producerOf(fx: PipelineFixture): Promise<Producer> {
  let p = producers.get(fx);
  if (!p) {
    p = (async () => {
      const producer = fx.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      fx.cleanup.defer('disconnect seed producer', () => producer.disconnect());
      return producer;
    })();
    producers.set(fx, p);
  }
  return p;
}

function sizeOf(r: TrackedRecord): number {
  let n = 70 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers ?? {})) n += k.length + v.length;
  return n;
}

/**
 * Produces records to a raw topic of the fixture (in request-sized groups, in order) and records
 * their coordinates, expectations and raw values in the fixture. Returns the coordinates.
 * A record larger than one request goes alone.
 */
export async function produceTracked(
  fx: PipelineFixture,
  topic: string,
  records: TrackedRecord[],
): Promise<Coordinates[]> {
  const producer = await producerOf(fx);
  const coords: Coordinates[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && (end === start || bytes + sizeOf(records[end]!) <= REQUEST_BYTES))
      bytes += sizeOf(records[end++]!);
    const group = records.slice(start, end);
    const parts = group.map((r) => r.partition ?? partitionFor(topic, fx.partitions, r.key));
    const messages: Message[] = group.map((r, i) => ({
      key: r.key,
      value: r.value,
      headers: r.headers ?? {},
      partition: parts[i]!,
    }));
    const res = await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
    const base = new Map<number, bigint>();
    for (const m of res) base.set(m.partition, BigInt(m.baseOffset!));
    const seen = new Map<number, bigint>();
    for (let i = 0; i < group.length; i++) {
      const p = parts[i]!;
      const b = base.get(p);
      if (b === undefined) throw new Error(`produce response without partition ${topic}/${p}`);
      const n = seen.get(p) ?? 0n;
      seen.set(p, n + 1n);
      const c: Coordinates = { topic, partition: p, offset: (b + n).toString() };
      const k = coordKey(c);
      fx.expectations.set(k, group[i]!.expect);
      if (group[i]!.value) fx.rawValues.set(k, group[i]!.value!);
      fx.inputs.push(c);
      coords.push(c);
    }
    start = end;
  }
  return coords;
}

export interface SeedOptions {
  seed?: number;
  sensitiveRate?: number;
}

/** Generated chat and telemetry traffic (3 : 2, like PipelineFixture.seed), without a read-back. */
export class TrafficSeeder {
  private readonly gen: TrafficGenerator;
  private produced = 0;

  constructor(
    private readonly fx: PipelineFixture,
    opts: SeedOptions = {},
  ) {
    this.gen = new TrafficGenerator(fx.registry, {
      seed: opts.seed ?? 7,
      sensitiveRate: opts.sensitiveRate ?? 0.08,
    });
  }

  get count(): number {
    return this.produced;
  }

  /**
   * Produces n more records, plus the key events that finish the lines still being typed (as
   * PipelineFixture.seed does, so no typed secret is cut off by the end of a round); returns
   * how many records were produced.
   */
  async seed(n: number, opts: { finishTyping?: boolean } = {}): Promise<number> {
    const chat: TrackedRecord[] = [];
    const tele: TrackedRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = (this.produced + i) % 5 < 3 ? this.gen.chat() : this.gen.telemetry();
      ((this.produced + i) % 5 < 3 ? chat : tele).push(r);
    }
    // A steady stream (the soak) finishes lines only at its end: finishing every round would
    // add up to a line per device and session each time.
    if (opts.finishTyping !== false) tele.push(...this.gen.finishTyping());
    await produceTracked(this.fx, this.fx.topics.rawChat, chat);
    await produceTracked(this.fx, this.fx.topics.rawTelemetry, tele);
    this.produced += chat.length + tele.length;
    return chat.length + tele.length;
  }
}
