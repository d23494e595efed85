// The soak run (scripts/soak/run.sh): the real scrubber under steady traffic for
// SLUICE_SOAK_MINUTES while a seeded random sequence of faults hits it: SIGKILL, graceful
// restart, a second instance joining and leaving, broker restart / crash / freeze, a fenced
// producer, an unwritable output topic, records that crash or hang a scan worker. At the end,
// the same invariants and figures as the integrity suite.
import { Cleanup, waitFor } from '../../test/support/kafka';
import { PipelineFixture } from '../../test/support/pipeline-fixture';
import { committedTotal } from '../../test/support/progress';
import { TrafficSeeder, produceTracked } from '../../test/support/integrity/fast-seed';
import {
  FAULT_ENGINE,
  ScrubberFleet,
  createRawTopics,
  faultDeployment,
  waitCommitted,
} from '../../test/support/integrity/chaos';
import { OwnBroker } from '../../test/support/integrity/own-broker';
import { intrude, unwritableUntilFailures } from '../../test/support/integrity/faults';
import { canaryToken, chatValue } from '../../test/support/integrity/records';
import { expectIntegrity, verifyDeployment } from '../../test/support/integrity/verify';
import { seededRng } from '../../services/scrubber/src/demo/synthetic-secrets';

const MINUTES = Number(process.env.SLUICE_SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SLUICE_SOAK_RATE ?? 200);
const SEED = Number(process.env.SLUICE_SOAK_SEED ?? 8);
const FAULTS = [
  'sigkill',
  'sigterm',
  'rebalance',
  'broker-restart',
  'broker-crash',
  'broker-freeze',
  'fence',
  'unwritable',
  'worker-fault',
] as const;
const WORKER_FAULTS = ['THROW', 'EXIT', 'OOM', 'HANG'];
/** The size of a broker freeze (a fault parameter, not a synchronisation). */
const FREEZE_MS = 8000;

function say(start: number, line: string): void {
  process.stdout.write(`soak +${((Date.now() - start) / 60_000).toFixed(1)}m ${line}\n`);
}

test(`soak: ${MINUTES} min of mixed faults`, async () => {
  const cleanup = new Cleanup();
  const start = Date.now();
  try {
    const broker = await OwnBroker.start(cleanup);
    // Helpers that default to "the test broker" (ScrubberProcess) find ours.
    process.env.KAFKA_BROKERS = broker.brokers.join(',');
    const fx = new PipelineFixture(cleanup, 4, { brokers: broker.brokers });
    await createRawTopics(fx);
    const { groupId, admin, inputs, fleet } = await faultDeployment(cleanup, fx, broker.brokers, {
      limits: { maxBatchRecords: 300 },
      scan: { workers: 1, engineModule: FAULT_ENGINE, taskTimeoutMs: 3000, workerMaxOldGenerationMb: 256 },
    });
    let a = await fleet.start();
    const seeder = new TrafficSeeder(fx, { seed: SEED });
    const end = start + MINUTES * 60_000;
    const rng = seededRng(SEED);
    const counts: Record<string, number> = {};
    const errors: string[] = [];
    let workerFaultRecords = 0;

    // Steady traffic: RATE records a second (a load profile; the pause below is pacing). Broker
    // faults close the gate between rounds: the faults are aimed at Sluice, and a seed round cut by
    // a broker crash would leave records whose coordinates we never learnt.
    let gate: Promise<void> = Promise.resolve();
    let round: Promise<void> = Promise.resolve();
    let trafficError: Error | null = null;
    const traffic = (async () => {
      try {
        for (let n = 1; Date.now() < end; n++) {
          await gate;
          const due = Date.now() + 1000;
          round = (async () => {
            await seeder.seed(RATE, { finishTyping: false });
            if (n % 20 === 0) {
              const kind = WORKER_FAULTS[(n / 20) % WORKER_FAULTS.length]!;
              const token = canaryToken();
              await produceTracked(fx, fx.topics.rawChat, [
                {
                  key: Buffer.from(`conv-soak-fault-${n}`),
                  value: chatValue(fx.registry, `SLUICE-FAULT-${kind} ${token}`),
                  expect: { verdict: 'quarantined', secrets: [token], why: `worker fault ${kind}` },
                },
              ]);
              workerFaultRecords++;
            }
          })();
          await round;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      } catch (err) {
        trafficError = err as Error;
        say(start, `traffic failed: ${trafficError.message}`);
      }
    })();
    /** Runs a broker fault with the traffic held between rounds. */
    const withTrafficHeld = async (fault: () => Promise<void>): Promise<void> => {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      try {
        await round.catch(() => undefined);
        await fault();
      } finally {
        open();
      }
    };

    while (Date.now() < end - 60_000 && trafficError === null) {
      // Between faults the stage must make progress: ten seconds' worth of traffic committed.
      const c0 = await waitFor(async () => (await committedTotal(admin, groupId, inputs)) + 1, {
        what: 'committed offsets',
        deadlineMs: 120_000,
      });
      await waitFor(
        async () => trafficError !== null || (await committedTotal(admin, groupId, inputs)) >= c0 + RATE * 10,
        { what: `ten seconds of traffic committed after ${c0}`, deadlineMs: 600_000, intervalMs: 200 },
      );
      if (trafficError !== null) break;
      const kind = FAULTS[Math.floor(rng() * FAULTS.length)]!;
      const t0 = Date.now();
      let detail = '';
      try {
        switch (kind) {
          case 'sigkill':
            await a.kill();
            a = await fleet.start();
            break;
          case 'sigterm': {
            const code = await a.stop();
            if (code !== 0) errors.push(`graceful stop exited ${code}`);
            a = await fleet.start();
            break;
          }
          case 'rebalance': {
            const b = await fleet.start();
            await waitFor(() => ScrubberFleet.assigned(b).length > 0, {
              what: 'the second instance to own partitions',
              deadlineMs: 90_000,
            });
            const c1 = await committedTotal(admin, groupId, inputs);
            await waitCommitted(admin, groupId, inputs, c1 + RATE * 5, 300_000);
            const code = await b.stop();
            if (code !== 0) errors.push(`second instance exited ${code}`);
            detail = `partitionsOfB=${ScrubberFleet.assigned(b).length}`;
            break;
          }
          case 'broker-restart':
            await withTrafficHeld(() => broker.restart());
            break;
          case 'broker-crash':
            await withTrafficHeld(() => broker.crashAndRestart());
            break;
          case 'broker-freeze':
            await withTrafficHeld(async () => {
              broker.pause();
              try {
                await new Promise((r) => setTimeout(r, FREEZE_MS));
              } finally {
                broker.resume();
              }
            });
            break;
          case 'fence': {
            const topic = rng() < 0.5 ? fx.topics.rawChat : fx.topics.rawTelemetry;
            const partition = Math.floor(rng() * fx.partitions);
            detail = `${topic.split('.')[1]}/${partition}: intruder commit ${await intrude(fx, cleanup, admin, topic, partition)}`;
            break;
          }
          case 'unwritable':
            detail = `failed batches ${await unwritableUntilFailures(admin, fleet, [fx.topics.audit])}`;
            break;
          case 'worker-fault': {
            const token = canaryToken();
            await produceTracked(fx, fx.topics.rawChat, [
              {
                key: Buffer.from(`conv-soak-hang-${t0}`),
                value: chatValue(fx.registry, `SLUICE-FAULT-HANG ${token}`),
                expect: { verdict: 'quarantined', secrets: [token], why: 'worker hang' },
              },
            ]);
            workerFaultRecords++;
            break;
          }
        }
        counts[kind] = (counts[kind] ?? 0) + 1;
      } catch (err) {
        errors.push(`${kind}: ${(err as Error).message.split('\n')[0]}`);
      }
      if (!a.running) {
        errors.push(
          `scrubber exited after ${kind} (code ${a.exitCode}); restarted like an orchestrator would`,
        );
        a = await fleet.start();
      }
      say(start, `fault ${kind} (${Date.now() - t0} ms) ${detail} | produced ${fx.inputs.length}`);
    }
    await traffic;
    if (trafficError) throw trafficError;
    await seeder.seed(0); // finish the lines still being typed
    say(start, `traffic stopped at ${fx.inputs.length} records; draining`);
    await waitCommitted(admin, groupId, inputs, fx.inputs.length, 900_000);
    const result = await verifyDeployment(fx, 'soak', {
      deadlineMs: 900_000,
      faults: {
        minutes: Number(((Date.now() - start) / 60_000).toFixed(1)),
        faults: counts,
        workerFaultRecords,
        scrubberProcesses: fleet.all.length,
        abortedBatches: fleet.count(/^batch failed/),
        faultErrors: errors,
      },
    });
    expect(await a.stop()).toBe(0);
    expect(errors).toEqual([]);
    expectIntegrity(result);
  } finally {
    await cleanup.run();
  }
});
