// Scenario 3 of the integrity suite (issue 8): worker faults inside the REAL scrubber process.
// scan.engineModule loads fault-engine.cjs (the real engine plus faults on marker strings):
// a worker that throws, calls process.exit, runs out of its resourceLimits heap, or busy-loops
// past its time budget. The pool retries the chunk on a fresh worker, isolates the offending
// record and answers it SLUICE_WORKER_CRASHED / SLUICE_SCAN_TIMEOUT: it is quarantined, never
// clean; every other record gets its normal verdict; the same process keeps running.
import { Cleanup } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { coordKey } from '../support/invariants';
import { TrafficSeeder, produceTracked, type TrackedRecord } from '../support/integrity/fast-seed';
import { FAULT_ENGINE, ScrubberFleet, createRawTopics, waitCommitted } from '../support/integrity/chaos';
import { canaryToken, chatValue, outcomeOf } from '../support/integrity/records';
import { expectIntegrity, verifyDeployment } from '../support/integrity/verify';

jest.setTimeout(600_000);

const FAULTS = [
  { kind: 'throw', where: 'value', reason: 'SLUICE_WORKER_CRASHED' },
  { kind: 'throw', where: 'header', reason: 'SLUICE_WORKER_CRASHED' },
  { kind: 'exit', where: 'value', reason: 'SLUICE_WORKER_CRASHED' },
  { kind: 'oom', where: 'value', reason: 'SLUICE_WORKER_CRASHED' },
  { kind: 'hang', where: 'value', reason: 'SLUICE_SCAN_TIMEOUT' },
] as const;

describe('integrity: worker faults in the real scrubber', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('throw / process.exit / heap limit / hang: the record is quarantined with a reason, the stage keeps running', async () => {
    const fx = new PipelineFixture(cleanup, 2);
    await createRawTopics(fx);
    const groupId = `sluice-${fx.id}`;
    const config = fx.config({
      limits: { maxBatchRecords: 200 },
      // Isolating a bad record costs three worker restarts: keep the member in the group meanwhile.
      group: {
        id: groupId,
        sessionTimeoutMs: 30_000,
        heartbeatIntervalMs: 1000,
        partitionsConsumedConcurrently: 2,
      },
      scan: { workers: 2, engineModule: FAULT_ENGINE, taskTimeoutMs: 3000, workerMaxOldGenerationMb: 256 },
    });
    const seeder = new TrafficSeeder(fx, { seed: 33 });
    await seeder.seed(1500);

    const faultCoords: Array<{ coord: string; kind: string; reason: string }> = [];
    const faulty: TrackedRecord[] = [];
    for (const f of FAULTS) {
      const token = canaryToken();
      const marker = `SLUICE-FAULT-${f.kind.toUpperCase()}`;
      faulty.push({
        key: Buffer.from(`conv-fault-${f.kind}-${f.where}`),
        value: chatValue(
          fx.registry,
          f.where === 'value' ? `please look at ${marker} ${token}` : `header carries it ${token}`,
        ),
        headers: f.where === 'header' ? { 'x-note': `${marker} ${token}` } : {},
        expect: { verdict: 'quarantined', secrets: [token], why: `worker fault ${f.kind} in ${f.where}` },
      });
    }
    const coords = await produceTracked(fx, fx.topics.rawChat, faulty);
    coords.forEach((c, i) =>
      faultCoords.push({
        coord: coordKey(c),
        kind: `${FAULTS[i]!.kind}/${FAULTS[i]!.where}`,
        reason: FAULTS[i]!.reason,
      }),
    );
    await seeder.seed(1500);

    const admin = await cleanup.connect(fx.kafka.admin(), 'admin');
    const fleet = new ScrubberFleet(cleanup, config, fx.keys);
    const p = await fleet.start();
    const inputs = [fx.topics.rawChat, fx.topics.rawTelemetry];
    await waitCommitted(admin, groupId, inputs, fx.inputs.length, 300_000);
    // The stage keeps running: the same process takes new traffic after the faults.
    await seeder.seed(1000);
    await waitCommitted(admin, groupId, inputs, fx.inputs.length, 120_000);
    const metrics = await p.metrics();
    const restarts = metrics
      .split('\n')
      .filter((l) => l.startsWith('sluice_worker_restarts_total'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    p.expectRunning();

    const result = await verifyDeployment(fx, 'worker-faults', {
      faults: {
        faultRecords: faultCoords.length,
        kinds: FAULTS.map((f) => `${f.kind}/${f.where}`).join(','),
        workerRestarts: restarts,
        scrubberProcesses: fleet.all.length,
      },
    });
    const all = [...result.outputs.clean, ...result.outputs.redacted, ...result.outputs.quarantined];
    const got = faultCoords.map((f) => ({ kind: f.kind, ...outcomeOf(all, f.coord) }));
    expect(got).toEqual(faultCoords.map((f) => ({ kind: f.kind, verdict: 'quarantined', reason: f.reason })));
    // Each offending record killed a worker at least once on its own (isolation), besides the
    // chunk and retry attempts it shared with its neighbours.
    expect(restarts).toBeGreaterThanOrEqual(FAULTS.length);
    expect(await p.stop()).toBe(0);
    expectIntegrity(result);
  });
});
