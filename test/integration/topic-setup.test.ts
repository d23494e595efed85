// Output topics at start, against the real broker: created with the source's partition count and
// the retention security relies on, or validated — a partition-count mismatch, a missing output
// with topics.create: false, or max.message.bytes below the record limit stop the scrubber with
// an error that says what to do.
import type { Admin } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import pino from 'pino';
import { Cleanup, brokers, createTopics, kafkaClient, uniqueName } from '../support/kafka';
import { generateKeys } from '../../services/scrubber/src/cli/keys-command';
import { loadConfig } from '../../services/scrubber/src/config/load-config';
import type { SluiceConfig } from '../../services/scrubber/src/config/load-config';
import { ensureTopics } from '../../services/scrubber/src/kafka/topic-setup';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

jest.setTimeout(60_000);

const logger = pino({ level: 'silent' });
const keyDir = mkdtempSync(path.join(tmpdir(), 'sluice-topics-'));
generateKeys(keyDir);

function configFor(id: string, extra: Record<string, unknown> = {}): SluiceConfig {
  return loadConfig({
    env: {
      KAFKA_BROKERS: brokers().join(','),
      SLUICE_FINGERPRINT_KEY: readFileSync(path.join(keyDir, 'fingerprint.key'), 'utf8').trim(),
      SLUICE_QUARANTINE_PUBLIC_KEY_FILE: path.join(keyDir, 'quarantine-public.pem'),
    },
    overrides: {
      sources: [
        {
          name: 'chat',
          topic: `raw.${id}`,
          kind: 'chat',
          outputs: { clean: `clean.${id}`, redacted: `redacted.${id}`, quarantine: `quarantine.${id}` },
        },
      ],
      auditTopic: `audit.${id}`,
      ...extra,
    },
  });
}

async function topicConfig(admin: Admin, topic: string, name: string): Promise<string | undefined> {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  return res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; hint?: string };
  }
  throw new Error('expected ensureTopics to fail');
}

describe('output topics at start', () => {
  const cleanup = new Cleanup();
  let admin: Admin;
  beforeAll(async () => {
    admin = kafkaClient(uniqueName('topics')).admin();
    await admin.connect();
  });
  afterEach(() => cleanup.run());
  afterAll(() => admin.disconnect());

  test('creates missing outputs with the source partition count, quarantine and audit retention', async () => {
    const id = uniqueName('ts');
    await createTopics(admin, [{ topic: `raw.${id}`, partitions: 5 }], cleanup);
    const config = configFor(id, { topics: { quarantineRetentionMs: 7 * 86_400_000 } });
    cleanup.defer('delete outputs', () =>
      admin.deleteTopics({
        topics: [`clean.${id}`, `redacted.${id}`, `quarantine.${id}`, `audit.${id}`],
        timeout: 10_000,
      }),
    );
    const layout = await ensureTopics(admin, config, logger);
    expect(layout.sourcePartitions.get(`raw.${id}`)).toBe(5);
    const meta = await admin.fetchTopicMetadata({
      topics: [`clean.${id}`, `redacted.${id}`, `quarantine.${id}`],
    });
    expect(meta.topics.map((t) => [t.name, t.partitions.length])).toEqual(
      expect.arrayContaining([
        [`clean.${id}`, 5],
        [`redacted.${id}`, 5],
        [`quarantine.${id}`, 5],
      ]),
    );
    expect(await topicConfig(admin, `quarantine.${id}`, 'retention.ms')).toBe(String(7 * 86_400_000));
    expect(await topicConfig(admin, `audit.${id}`, 'retention.ms')).toBe(String(400 * 86_400_000));
    const need = config.limits.maxRecordBytes;
    expect(Number(await topicConfig(admin, `clean.${id}`, 'max.message.bytes'))).toBeGreaterThan(need);
    // A second start validates what exists and changes nothing.
    await expect(ensureTopics(admin, config, logger)).resolves.toMatchObject({ auditPartitions: 3 });
  });

  test('an output with another partition count than its source stops the start', async () => {
    const id = uniqueName('ts');
    await createTopics(
      admin,
      [
        { topic: `raw.${id}`, partitions: 3 },
        { topic: `redacted.${id}`, partitions: 2 },
      ],
      cleanup,
    );
    // Validation runs before anything is created, so nothing else needs deleting.
    const e = await errorOf(ensureTopics(admin, configFor(id), logger));
    expect(e.code).toBe('SLUICE_TOPIC_MISMATCH');
    expect(e.message).toContain(`output topic redacted.${id} has 2 partitions but source raw.${id} has 3`);
    expect(e.hint).toMatch(/partition counts must match/);
  });

  test('a missing output with topics.create: false stops the start', async () => {
    const id = uniqueName('ts');
    await createTopics(admin, [{ topic: `raw.${id}`, partitions: 2 }], cleanup);
    const e = await errorOf(ensureTopics(admin, configFor(id, { topics: { create: false } }), logger));
    expect(e.code).toBe('SLUICE_TOPIC_MISMATCH');
    expect(e.message).toContain(`output topic clean.${id} does not exist`);
    expect(e.hint).toMatch(/set topics.create: true/);
  });

  test('an output whose max.message.bytes is below the record limit stops the start', async () => {
    const id = uniqueName('ts');
    await createTopics(
      admin,
      [
        { topic: `raw.${id}`, partitions: 1 },
        { topic: `quarantine.${id}`, partitions: 1, configs: { 'max.message.bytes': '100000' } },
      ],
      cleanup,
    );
    cleanup.defer('delete outputs', () =>
      admin.deleteTopics({ topics: [`clean.${id}`, `redacted.${id}`, `audit.${id}`], timeout: 10_000 }),
    );
    const e = await errorOf(ensureTopics(admin, configFor(id), logger));
    expect(e.code).toBe('SLUICE_TOPIC_MISMATCH');
    expect(e.message).toMatch(
      new RegExp(`^output topic quarantine\\.${id} has max\\.message\\.bytes=100000, below`),
    );
    expect(e.hint).toMatch(/raise the topic's max.message.bytes/);
  });
});
