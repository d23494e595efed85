// Small pieces the chaos scenarios share: progress from committed offsets, a fleet of real
// scrubber processes, and counts from their logs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { waitFor, type Cleanup } from '../kafka';
import { committedTotal } from '../progress';
import type { PipelineFixture } from '../pipeline-fixture';
import { REPO_ROOT, ScrubberProcess, type KeyMaterial } from '../scrubber-process';

/** Waits until the group has committed at least `target` input records; returns the count. */
export async function waitCommitted(
  admin: Admin,
  groupId: string,
  topics: string[],
  target: number,
  deadlineMs = 240_000,
): Promise<number> {
  let last = 0;
  return waitFor(
    async () => {
      last = await committedTotal(admin, groupId, topics);
      return last >= target ? last : 0;
    },
    {
      what: `${target} records committed by ${groupId}`,
      deadlineMs,
      intervalMs: 50,
      describe: () => `committed ${last}`,
    },
  );
}

/** Every scrubber process a test started, killed at cleanup, with their logs for counting. */
export class ScrubberFleet {
  readonly all: ScrubberProcess[] = [];

  constructor(
    private readonly cleanup: Cleanup,
    private readonly config: Record<string, unknown>,
    private readonly keys: KeyMaterial,
  ) {}

  async start(env: Record<string, string> = {}): Promise<ScrubberProcess> {
    const p = new ScrubberProcess({ config: this.config, keys: this.keys, env });
    this.cleanup.defer('kill scrubber', () => p.kill());
    this.all.push(p);
    await p.start(120_000);
    return p;
  }

  /** Log lines (JSON, pino) whose msg matches, over every process. */
  count(msg: RegExp): number {
    let n = 0;
    for (const p of this.all) {
      if (!existsSync(p.logFile)) continue;
      for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string };
          if (entry.msg && msg.test(entry.msg)) n++;
        } catch {
          // a line cut by SIGKILL
        }
      }
    }
    return n;
  }

  /** Partitions named by a process's latest 'partitions assigned' log line. */
  static assigned(p: ScrubberProcess): string[] {
    if (!existsSync(p.logFile)) return [];
    let last: string[] = [];
    for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
      if (!line.includes('partitions assigned')) continue;
      try {
        last = (JSON.parse(line) as { partitions?: string[] }).partitions ?? [];
      } catch {
        // a line cut by SIGKILL
      }
    }
    return last;
  }
}

/**
 * fx.createRawTopics(), tolerating a KRaft race on a loaded machine: right after CreateTopics,
 * kafkajs' waitForLeaders can get UNKNOWN_TOPIC_OR_PARTITION from the metadata request, which it
 * does not retry. The topics exist then; wait for their leaders ourselves and register the
 * deletions the fixture would have registered.
 */
export async function createRawTopics(fx: PipelineFixture): Promise<void> {
  try {
    await fx.createRawTopics();
  } catch (err) {
    if (!/does not host this topic-partition/.test((err as Error).message)) throw err;
    const admin = await fx.cleanup.connect(fx.kafka.admin(), 'admin (raw topics)');
    const raw = [fx.topics.rawChat, fx.topics.rawTelemetry];
    const outputs = [
      ...fx.topics.outputs.clean,
      ...fx.topics.outputs.redacted,
      ...fx.topics.outputs.quarantined,
      fx.topics.audit,
    ];
    fx.cleanup.defer('delete topics', async () => {
      const existing = new Set(await admin.listTopics());
      const mine = [...raw, ...outputs].filter((t) => existing.has(t));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10000 });
    });
    await waitFor(
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: raw });
        return md.topics.every(
          (t) => t.partitions.length === fx.partitions && t.partitions.every((p) => p.leader >= 0),
        );
      },
      { what: `leaders for ${raw.join(', ')}`, deadlineMs: 30_000 },
    );
  }
}

/** The scan engine module whose records crash, exit, exhaust the heap of or hang a scan worker on demand. */
export const FAULT_ENGINE = path.join(
  REPO_ROOT,
  'services',
  'scrubber',
  'test',
  'scan',
  'pool',
  'fixtures',
  'fault-engine.cjs',
);

/**
 * A deployment on a broker the scenario owns and faults: client timeouts short enough that an
 * outage surfaces in seconds, a session that outlives a broker restart, two partitions in flight
 * per member; with the admin, the input topics and the fleet every fault scenario uses.
 */
export async function faultDeployment(
  cleanup: Cleanup,
  fx: PipelineFixture,
  brokers: string[],
  extra: { limits: { maxBatchRecords: number }; scan?: Record<string, unknown> },
) {
  const groupId = `sluice-${fx.id}`;
  const config = fx.config({
    kafka: { brokers, connectionTimeoutMs: 3000, requestTimeoutMs: 5000 },
    group: {
      id: groupId,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      partitionsConsumedConcurrently: 2,
    },
    ...extra,
  });
  const admin = await cleanup.connect(fx.kafka.admin(), 'admin');
  const inputs = [fx.topics.rawChat, fx.topics.rawTelemetry];
  const fleet = new ScrubberFleet(cleanup, config, fx.keys);
  return { groupId, config, admin, inputs, fleet };
}
