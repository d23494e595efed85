// /healthz, /readyz and sluice_ready of a real scrubber against the real broker: ready means
// connected, assigned and consuming. To hold the scrubber without partitions on cue, another
// member of its group leads the group and assigns every partition to itself (kafkajs lets the
// leader run any assigner registered under the protocol name every member supports).
import type { Assigner, Consumer, PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import pino from 'pino';
import { Cleanup, kafkaClient, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { Scrubber } from '../../services/scrubber/src/scrubber';

jest.setTimeout(120_000);

/** Same protocol name as kafkajs' default, but the leader keeps every partition for itself. */
const greedy: PartitionAssigner = ({ cluster }): Assigner => ({
  name: 'RoundRobinAssigner',
  version: 0,
  protocol: ({ topics }) => ({
    name: 'RoundRobinAssigner',
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
  }),
  async assign({ members, topics }) {
    const hogId = members.find((m) => m.memberId.startsWith('hog-'))?.memberId;
    const assignment: Record<string, number[]> = {};
    for (const t of topics) assignment[t] = cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId);
    return members.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: m.memberId === hogId ? assignment : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('ops endpoints', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('ready only while assigned and consuming; healthy throughout', async () => {
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    const config = fx.inProcessConfig({ http: { enabled: true, host: '127.0.0.1', port: 0 } });

    // The hog joins first, so it leads the group and runs the greedy assigner.
    const hog: Consumer = kafkaClient(`hog-${fx.id}`).consumer({
      groupId: config.group.id,
      partitionAssigners: [greedy],
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    });
    await hog.connect();
    cleanup.defer('disconnect hog', () => hog.disconnect());
    await hog.subscribe({ topics: config.sources.map((s) => s.topic), fromBeginning: true });
    let hogJoined = false;
    hog.on(hog.events.GROUP_JOIN, () => (hogJoined = true));
    await hog.run({ autoCommit: false, eachMessage: async () => {} });
    await waitFor(() => hogJoined, { what: 'the hog to join its group', deadlineMs: 30_000 });

    const scrubber = new Scrubber({ config, logger: pino({ level: 'silent' }) });
    cleanup.defer('stop scrubber', () => scrubber.stop());
    await scrubber.start();
    const port = scrubber.httpPort!;

    // In the group, no partitions: healthy, not ready, and the gauge says so.
    await waitFor(
      async () => {
        const m = await get(port, '/metrics');
        return /\nsluice_assigned_partitions 0\n/.test(m.body) && m.body.includes('\nsluice_ready 0\n');
      },
      { what: 'the scrubber to join with no partitions', deadlineMs: 60_000, intervalMs: 200 },
    );
    const notReady = await get(port, '/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toMatchObject({ ok: false, status: 'running', partitions: 0 });
    expect((await get(port, '/healthz')).status).toBe(200);

    // The hog leaves: the scrubber gets both partitions and becomes ready.
    await hog.disconnect();
    await waitFor(async () => (await get(port, '/readyz')).status === 200, {
      what: '/readyz to turn 200 once the scrubber owns partitions',
      deadlineMs: 60_000,
      intervalMs: 200,
    });
    expect(JSON.parse((await get(port, '/readyz')).body)).toMatchObject({ ok: true, partitions: 2 });
    expect((await get(port, '/metrics')).body).toContain('\nsluice_ready 1\n');
    expect((await get(port, '/healthz')).status).toBe(200);
  });
});
