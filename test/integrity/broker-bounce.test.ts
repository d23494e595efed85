// Scenario 2 of the integrity suite (issue 8): the only broker stops and restarts under load
// (controlled shutdown), twice, and once stops answering (SIGSTOP) for longer than the session
// timeout. The scrubber process rides it out without exiting and resumes; nothing is lost or
// duplicated. Runs against a broker this file owns, never the shared one.
import { Cleanup } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { TrafficSeeder } from '../support/integrity/fast-seed';
import { createRawTopics, faultDeployment, waitCommitted } from '../support/integrity/chaos';
import { OwnBroker } from '../support/integrity/own-broker';
import { expectIntegrity, verifyDeployment } from '../support/integrity/verify';

jest.setTimeout(600_000);

const N = Number(process.env.SLUICE_BOUNCE_RECORDS ?? 30_000);
/** How long the broker stays frozen: the fault's size (> session timeout), not a synchronisation. */
const FREEZE_MS = 8000;

describe('integrity: broker stop and restart under load', () => {
  const suite = new Cleanup();
  const cleanup = new Cleanup();
  let broker: OwnBroker;
  beforeAll(async () => {
    broker = await OwnBroker.start(suite);
  });
  afterEach(() => cleanup.run());
  afterAll(() => suite.run());

  test(`${N} records: broker restarted twice and frozen once; the scrubber rides it out`, async () => {
    const fx = new PipelineFixture(cleanup, 3, { brokers: broker.brokers });
    await createRawTopics(fx);
    const total = await new TrafficSeeder(fx, { seed: 2 }).seed(N);
    const { groupId, admin, inputs, fleet } = await faultDeployment(cleanup, fx, broker.brokers, {
      limits: { maxBatchRecords: 300 },
    });
    const p = await fleet.start();

    const bounces: Array<{ at: number; ms: number; how: string }> = [];
    for (const [fraction, how] of [
      [0.25, 'restart'],
      [0.5, 'freeze'],
      [0.75, 'restart'],
    ] as const) {
      const at = await waitCommitted(admin, groupId, inputs, Math.ceil(total * fraction));
      const t0 = Date.now();
      if (how === 'restart') await broker.restart();
      else {
        broker.pause();
        try {
          await new Promise((r) => setTimeout(r, FREEZE_MS));
        } finally {
          broker.resume();
        }
      }
      bounces.push({ at, ms: Date.now() - t0, how });
      p.expectRunning();
    }
    await waitCommitted(admin, groupId, inputs, total, 300_000);
    p.expectRunning();

    const result = await verifyDeployment(fx, 'broker-bounce', {
      countAborted: true,
      faults: {
        bounces: bounces.map((b) => `${b.how}@${b.at}(${b.ms}ms)`).join(','),
        scrubberProcesses: fleet.all.length,
        abortedBatches: fleet.count(/^batch failed/),
        consumerCrashes: fleet.count(/^consumer crashed/),
      },
    });
    expect(await p.stop()).toBe(0);
    expectIntegrity(result);
  });
});
