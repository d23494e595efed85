// SIGKILL the scrubber mid-stream, restart it, and check nothing was lost or duplicated:
// outputs and offsets commit in one transaction, and a restarted owner fences the old one.
import { expandAudit } from '../support/audit';
import { Cleanup, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import {
  checkVerdicts,
  checkExactlyOnce,
  checkOrderPerPartition,
  findSecretsInOutputs,
  indexOutputs,
  summarise,
} from '../support/invariants';
import { committedTotal } from '../support/progress';

jest.setTimeout(600_000);

const N = Number(process.env.SLUICE_KILL_RECORDS ?? 6000);

describe('crash safety', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('SIGKILL mid-stream, twice, then restart: exactly once, nothing lost', async () => {
    const fx = new PipelineFixture(cleanup, 4);
    await fx.createRawTopics();
    await fx.seed(N, { seed: 11 });
    const total = fx.inputs.length;
    const config = fx.config({
      limits: { maxBatchRecords: 40 },
      group: {
        id: `sluice-${fx.id}`,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 300,
        partitionsConsumedConcurrently: 2,
      },
    });
    const groupId = `sluice-${fx.id}`;
    const admin = fx.kafka.admin();
    await admin.connect();
    cleanup.defer('admin', () => admin.disconnect());
    const inputs = [fx.topics.rawChat, fx.topics.rawTelemetry];

    const kills: number[] = [];
    for (const threshold of [0.2, 0.5]) {
      const p = new ScrubberProcess({ config, keys: fx.keys });
      cleanup.defer('kill scrubber', () => p.kill());
      await p.start();
      const done = await waitFor(
        async () => {
          const n = await committedTotal(admin, groupId, inputs);
          return n >= N * threshold ? n : 0;
        },
        { what: `${threshold * 100}% of ${N} records committed`, deadlineMs: 180_000, intervalMs: 20 },
      );
      await p.kill();
      kills.push(done);
    }
    const last = new ScrubberProcess({ config, keys: fx.keys });
    cleanup.defer('kill scrubber', () => last.kill());
    await last.start();
    const { outputs, audit } = await fx.readOutputs(total);
    expect(await last.stop()).toBe(0);

    const index = indexOutputs(outputs);
    const report = checkExactlyOnce(fx.inputs, index);
    process.stdout.write(
      `kill-restart: killed at ${kills.join(', ')} committed; ${summarise(report)} audit=${audit.length}\n`,
    );
    expect(kills[0]!).toBeLessThan(N);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(expandAudit(fx.registry, audit).byCoord.size).toBe(total);
    expect(checkOrderPerPartition([...outputs.clean, ...outputs.redacted, ...outputs.quarantined])).toEqual(
      [],
    );
    expect(findSecretsInOutputs([...outputs.clean, ...outputs.redacted], fx.secrets())).toEqual([]);
    // Typed secrets are spread over key events: their verdicts must survive the kills too.
    const downgraded = checkVerdicts(index, fx.expectations).filter((w) => / got clean$/.test(w));
    expect(downgraded.slice(0, 10)).toEqual([]);
  });
});
