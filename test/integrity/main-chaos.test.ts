// Scenario 1 of the integrity suite (issue 8): 100,000 unique records over 4 partitions per raw
// topic while the real scrubber is SIGKILLed 3 times, restarted gracefully 3 times, and joined
// and left by a second instance (rebalance). Exactly once, order per partition, no sensitive
// value in clean/redacted, one audit record per input.
import { Cleanup, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { TrafficSeeder } from '../support/integrity/fast-seed';
import { ScrubberFleet, createRawTopics, waitCommitted } from '../support/integrity/chaos';
import { expectIntegrity, verifyDeployment } from '../support/integrity/verify';

jest.setTimeout(900_000);

const N = Number(process.env.SLUICE_INTEGRITY_RECORDS ?? 100_000);

describe('integrity: kill, restart, rebalance', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test(`${N} records: 3 SIGKILLs, 3 graceful restarts, a second instance joins and leaves`, async () => {
    const fx = new PipelineFixture(cleanup, 4);
    await createRawTopics(fx);
    const t0 = Date.now();
    const produced = await new TrafficSeeder(fx, { seed: 100 }).seed(N);
    const seedMs = Date.now() - t0;
    // N generated records plus the few key events that finish lines still being typed.
    expect(fx.inputs).toHaveLength(produced);
    expect(produced).toBeGreaterThanOrEqual(N);
    expect(new Set([...fx.rawValues.values()].map((v) => v.toString('base64'))).size).toBe(produced);

    const groupId = `sluice-${fx.id}`;
    const config = fx.config({
      limits: { maxBatchRecords: 500 },
      group: {
        id: groupId,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 300,
        partitionsConsumedConcurrently: 2,
      },
    });
    const admin = await cleanup.connect(fx.kafka.admin(), 'admin');
    const inputs = [fx.topics.rawChat, fx.topics.rawTelemetry];
    const fleet = new ScrubberFleet(cleanup, config, fx.keys);
    const total = fx.inputs.length;
    const at = (fraction: number) => waitCommitted(admin, groupId, inputs, Math.ceil(total * fraction));

    let a = await fleet.start();
    const kills: number[] = [];
    for (const f of [0.2, 0.3, 0.4]) {
      kills.push(await at(f));
      await a.kill();
      a = await fleet.start();
    }
    const restarts: number[] = [];
    const exitCodes: Array<number | null> = [];
    for (const f of [0.5, 0.58, 0.66]) {
      restarts.push(await at(f));
      exitCodes.push(await a.stop());
      a = await fleet.start();
    }
    // Rebalance: a second instance joins (both must own partitions), then leaves.
    await at(0.72);
    const b = await fleet.start();
    await waitFor(() => ScrubberFleet.assigned(b).length > 0 && ScrubberFleet.assigned(a).length < 8, {
      what: 'the second instance to take over part of the partitions',
      deadlineMs: 60_000,
    });
    const joinedAt = await at(0.8);
    const partitionsOfB = ScrubberFleet.assigned(b).length;
    exitCodes.push(await b.stop());
    const leftAt = await at(0.85);

    const result = await verifyDeployment(fx, 'main-kill-restart-rebalance', {
      countAborted: true,
      faults: {
        seedMs,
        sigkillsAtCommitted: kills,
        gracefulRestartsAtCommitted: restarts,
        secondInstanceJoinedWithPartitions: partitionsOfB,
        secondInstanceLeftAtCommitted: leftAt,
        rebalanceCommittedWhileTwo: joinedAt,
        processes: fleet.all.length,
        abortedBatches: fleet.count(/^batch failed/),
      },
    });
    exitCodes.push(await a.stop());
    expect(exitCodes).toEqual([0, 0, 0, 0, 0]);
    for (const k of kills) expect(k).toBeGreaterThanOrEqual(0.2 * total);
    expect(Math.max(...kills, ...restarts)).toBeLessThan(total);
    expectIntegrity(result);
  });
});
