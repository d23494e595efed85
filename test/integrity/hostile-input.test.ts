// Scenario 4 of the integrity suite (issue 8): poison and hostile input through the real
// scrubber. Each record ends in redacted or quarantine with a reason (never clean), its
// sensitive values never reach clean or redacted, and the stage keeps running afterwards.
//
// The 50 MB record: the local test broker's message.max.bytes is 10 MiB, but a topic's own
// max.message.bytes overrides the broker default, and PipelineFixture creates the raw chat
// topic with 64 MiB; so it runs on any broker kind without a broker of our own.
import { Cleanup } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { coordKey } from '../support/invariants';
import { TrafficSeeder, produceTracked, type TrackedRecord } from '../support/integrity/fast-seed';
import { ScrubberFleet, createRawTopics, waitCommitted } from '../support/integrity/chaos';
import { canaryToken, chatValue, outcomeOf } from '../support/integrity/records';
import { expectIntegrity, verifyDeployment } from '../support/integrity/verify';
import { awsAccessKeyId, emailAddress, seededRng } from '../../services/scrubber/src/demo/synthetic-secrets';

jest.setTimeout(600_000);

interface HostileCase {
  id: string;
  record: Omit<TrackedRecord, 'expect'>;
  secrets: string[];
  verdict: 'redacted' | 'quarantined';
  /** sluice-reason header; null for a redacted record (its reasons are the findings in its audit record). */
  reason: string | null;
}

function hostileCases(fx: PipelineFixture): HostileCase[] {
  const rng = seededRng(4242);
  const reg = fx.registry;
  const valid = chatValue(reg, 'an ordinary message ZZZZ with nothing in it');
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);

  const tok1 = canaryToken();
  const truncatedSrc = chatValue(reg, `truncated message ${tok1}`);
  add({
    id: 'truncated-avro',
    record: { key: Buffer.from('h-trunc'), value: truncatedSrc.subarray(0, truncatedSrc.length - 9) },
    secrets: [tok1],
    verdict: 'quarantined',
    reason: 'SLUICE_DECODE_FAILED',
  });

  const tok2 = canaryToken();
  const wrongId = Buffer.from(chatValue(reg, `wrong schema id ${tok2}`));
  wrongId.writeUInt32BE(4_000_000, 1);
  add({
    id: 'wrong-schema-id',
    record: { key: Buffer.from('h-schema'), value: wrongId },
    secrets: [tok2],
    verdict: 'quarantined',
    reason: 'SLUICE_UNKNOWN_SCHEMA',
  });

  // Telemetry bytes on the chat topic: a known id, but the wrong schema for the source.
  const tok3 = canaryToken();
  add({
    id: 'garbage-after-magic',
    record: {
      key: Buffer.from('h-garbage'),
      value: Buffer.concat([
        Buffer.from([0, 0, 0, 0, 2]),
        Buffer.from(`\xff\xff\xff\xff\xff\x0f${tok3}`, 'latin1'),
      ]),
    },
    secrets: [tok3],
    verdict: 'quarantined',
    reason: 'SLUICE_DECODE_FAILED',
  });

  const bigKey = awsAccessKeyId(rng);
  const big = chatValue(reg, `${'lorem ipsum dolor sit amet '.repeat(2_000_000)} ${bigKey}`);
  add({
    id: '50mb-record',
    record: { key: Buffer.from('h-50mb'), value: big },
    secrets: [bigKey],
    verdict: 'quarantined',
    reason: 'SLUICE_TOO_LARGE',
  });

  const nestedKey = awsAccessKeyId(rng);
  const depth = 40_000; // 320 KB: under limits.maxRecordBytes, so it is scanned, not refused
  add({
    id: 'deeply-nested-text',
    record: {
      key: Buffer.from('h-nested'),
      value: chatValue(reg, `${'{"a":['.repeat(depth)}"aws_access_key_id=${nestedKey}"${']}'.repeat(depth)}`),
    },
    secrets: [nestedKey],
    verdict: 'quarantined',
    reason: 'SLUICE_FINDING_QUARANTINE',
  });

  const hugeEmail = emailAddress(rng);
  add({
    id: 'enormous-string',
    record: {
      key: Buffer.from('h-huge'),
      value: chatValue(reg, `${'x'.repeat(250_000)} reach me at ${hugeEmail} ${'y'.repeat(200_000)}`),
    },
    secrets: [hugeEmail],
    verdict: 'redacted',
    reason: null,
  });

  const headerEmail = emailAddress(rng);
  add({
    id: 'enormous-header',
    record: {
      key: Buffer.from('h-hdr'),
      value: valid,
      headers: { 'x-blob': `${'z'.repeat(300_000)} ${headerEmail}` },
    },
    secrets: [headerEmail],
    verdict: 'redacted',
    reason: null,
  });

  const tok4 = canaryToken();
  const badUtf8 = Buffer.from(chatValue(reg, `invalid utf8 here ZZZZ ${tok4}`));
  const z = badUtf8.indexOf('ZZZZ');
  badUtf8[z] = 0xc3;
  badUtf8[z + 1] = 0x28;
  add({
    id: 'invalid-utf8-value',
    record: { key: Buffer.from('h-utf8'), value: badUtf8 },
    secrets: [tok4],
    verdict: 'quarantined',
    reason: 'SLUICE_INVALID_UTF8',
  });

  // An email in a key that is not UTF-8: found (scanned as latin1) but cannot hold a placeholder.
  const keyEmail = emailAddress(rng);
  add({
    id: 'invalid-utf8-key',
    record: { key: Buffer.concat([Buffer.from([0xff, 0xfe, 0x20]), Buffer.from(keyEmail)]), value: valid },
    secrets: [keyEmail],
    verdict: 'quarantined',
    reason: 'SLUICE_UNREDACTABLE_FIELD',
  });

  // Inputs that make backtracking regex engines explode; RE2 stays linear (no timeout).
  const redosEmail = emailAddress(rng);
  const redos = `${'a@'.repeat(60_000)}${'a'.repeat(50_000)}!${'-'.repeat(30_000)}x ${'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.repeat(1000)}@ ${'A'.repeat(40_000)}KIA ${'.'.repeat(20_000)} mail ${redosEmail}`;
  add({
    id: 'redos-style-text',
    record: { key: Buffer.from('h-redos'), value: chatValue(reg, redos) },
    secrets: [redosEmail],
    verdict: 'redacted',
    reason: null,
  });

  const many: string[] = [];
  for (let i = 0; i < 10_000; i++) many.push(emailAddress(rng));
  add({
    id: '10000-findings',
    record: { key: Buffer.from('h-flood'), value: chatValue(reg, many.join(' ')) },
    secrets: many.slice(0, 200),
    verdict: 'quarantined',
    reason: 'SLUICE_FINDINGS_CAPPED',
  });
  return cases;
}

describe('integrity: poison and hostile input', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('truncated Avro, wrong schema id, 50 MB, nested, enormous, invalid UTF-8, ReDoS, 10,000 findings', async () => {
    const fx = new PipelineFixture(cleanup, 2);
    await createRawTopics(fx);
    const groupId = `sluice-${fx.id}`;
    const config = fx.config({
      group: {
        id: groupId,
        sessionTimeoutMs: 20_000,
        heartbeatIntervalMs: 1000,
        partitionsConsumedConcurrently: 2,
      },
      scan: { workers: 2 },
    });
    const seeder = new TrafficSeeder(fx, { seed: 44 });
    await seeder.seed(1000);
    const cases = hostileCases(fx);
    const coords = await produceTracked(
      fx,
      fx.topics.rawChat,
      cases.map((c) => ({ ...c.record, expect: { verdict: c.verdict, secrets: c.secrets, why: c.id } })),
    );
    await seeder.seed(1000);

    const admin = await cleanup.connect(fx.kafka.admin(), 'admin');
    const fleet = new ScrubberFleet(cleanup, config, fx.keys);
    const p = await fleet.start();
    const inputs = [fx.topics.rawChat, fx.topics.rawTelemetry];
    await waitCommitted(admin, groupId, inputs, fx.inputs.length, 300_000);
    // Still running: new traffic after the hostile records goes through the same process.
    await seeder.seed(500);
    await waitCommitted(admin, groupId, inputs, fx.inputs.length, 120_000);
    p.expectRunning();

    const result = await verifyDeployment(fx, 'hostile-input', {
      faults: { hostileRecords: cases.length, cases: cases.map((c) => c.id).join(',') },
    });
    const all = [...result.outputs.clean, ...result.outputs.redacted, ...result.outputs.quarantined];
    const got = cases.map((c, i) => ({ id: c.id, ...outcomeOf(all, coordKey(coords[i]!)) }));
    process.stdout.write(
      `hostile-input outcomes: ${got.map((g) => `${g.id}=${g.verdict}${g.reason ? `/${g.reason}` : ''}`).join(' ')}\n`,
    );
    expect(got).toEqual(cases.map((c) => ({ id: c.id, verdict: c.verdict, reason: c.reason })));
    expect(await p.stop()).toBe(0);
    expectIntegrity(result);
  });
});
