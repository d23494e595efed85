// The KIP-447 stand-in, forced on cue against the real broker. kafkajs reads a partition's
// committed offset when the group forms, without waiting for a previous owner's open transaction;
// if that transaction commits right after, the offset the new owner started from is stale and
// re-emitting from it would duplicate what the old owner already wrote. The pipeline therefore
// initialises the partition's transactional producer first (fencing the old owner and settling
// its transaction) and then re-reads the committed offset, skipping records below it.
//
// Here the "old owner" is a producer with the partition's transactional id whose transaction
// holds outputs for the first K records and the offset K. It commits at the worst moment: after
// the scrubber's consumer has read the (empty) committed offset and fetched from 0, just before
// the scrubber's producer for that partition initialises. Nothing below K may be emitted again.
import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import pino from 'pino';
import { Cleanup, kafkaClient } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { checkExactlyOnce, coordKey, indexOutputs, summarise } from '../support/invariants';
import { expandAudit } from '../support/audit';
import { PartitionProducers } from '../../services/scrubber/src/kafka/partition-producers';
import { Scrubber } from '../../services/scrubber/src/scrubber';

jest.setTimeout(180_000);

const K = 60;

describe('stale committed offset after a rebalance', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test("an old owner's transaction committing after the join is not emitted twice", async () => {
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    await fx.seed(300, { seed: 41 });
    const config = fx.inProcessConfig({ http: { enabled: false } });
    const chat = config.sources.find((s) => s.kind === 'chat')!;
    const chatInputs = fx.inputs.filter((c) => c.topic === chat.topic);
    expect(chatInputs.length).toBeGreaterThan(K);
    const txId = PartitionProducers.transactionalId(config.transactions.idPrefix, chat.topic, 0);
    const base = kafkaClient(`stale-${fx.id}`);

    // The chat outputs exist before the scrubber (an earlier owner made them); the fixture deletes them.
    const admin = base.admin();
    await admin.connect();
    cleanup.defer('disconnect admin', () => admin.disconnect());
    await admin.createTopics({
      waitForLeaders: true,
      topics: [chat.outputs.clean, chat.outputs.redacted, chat.outputs.quarantine].map((topic) => ({
        topic,
        numPartitions: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(64 * 1024 * 1024) }],
      })),
    });

    // The old owner: outputs for offsets 0..K-1 and the offset K, in one open transaction.
    const zombie = base.producer({ transactionalId: txId, idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    cleanup.defer('disconnect zombie', () => zombie.disconnect());
    const txn = await zombie.transaction();
    await txn.send({
      topic: chat.outputs.clean,
      messages: Array.from({ length: K }, (_, i) => ({
        partition: 0,
        key: null,
        value: fx.rawValues.get(coordKey({ topic: chat.topic, partition: 0, offset: String(i) }))!,
        headers: { 'sluice-source': `${chat.topic}/0/${i}`, 'sluice-verdict': 'clean' },
      })),
    });
    await txn.sendOffsets({
      consumerGroupId: config.group.id,
      topics: [{ topic: chat.topic, partitions: [{ partition: 0, offset: String(K) }] }],
    });

    // It commits when the scrubber creates that partition's producer: the consumer has joined and
    // fetched from offset 0 by then (nothing was committed at join time).
    let committedLate = false;
    const kafka = new Proxy(base, {
      get(target, prop) {
        if (prop !== 'producer') return Reflect.get(target, prop, target) as unknown;
        return (cfg: ProducerConfig): Producer => {
          const p = target.producer(cfg);
          if (cfg.transactionalId !== txId || committedLate) return p;
          const connect = p.connect.bind(p);
          p.connect = async () => {
            await txn.commit();
            committedLate = true;
            return connect();
          };
          return p;
        };
      },
    }) as Kafka;

    const scrubber = new Scrubber({ config, logger: pino({ level: 'silent' }), kafka });
    cleanup.defer('stop scrubber', () => scrubber.stop());
    await scrubber.start();

    // The scrubber decides (and audits) everything but the old owner's K records.
    const { outputs, audit } = await fx.readOutputs(fx.inputs.length - K, 120_000);
    expect(committedLate).toBe(true);
    const report = checkExactlyOnce(fx.inputs, indexOutputs(outputs));
    expect(summarise(report)).toBe(
      `in=${fx.inputs.length} out=${fx.inputs.length} clean=${report.byVerdict.clean} redacted=${report.byVerdict.redacted} quarantined=${report.byVerdict.quarantined} lost=0 duplicated=0 unexpected=0`,
    );
    const audited = expandAudit(fx.registry, audit);
    const zombieRange = chatInputs.filter((c) => BigInt(c.offset) < BigInt(K)).map(coordKey);
    expect(zombieRange).toHaveLength(K);
    expect(zombieRange.filter((k) => audited.byCoord.has(k))).toEqual([]);
    expect(audited.byCoord.size).toBe(fx.inputs.length - K);
  });
});
