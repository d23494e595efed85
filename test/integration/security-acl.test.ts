// Security's side against a real KRaft broker with SASL/SCRAM, the StandardAuthorizer and
// allow.everyone.if.no.acl.found=false (a private broker this file starts and stops):
//  - `sluice acl apply` (as admin) grants the five principals their ACLs;
//  - the trainer principal is refused the quarantine topic, but reads clean; security reads quarantine;
//  - the scrubber runs end to end as principal `scrubber` with only its ACLs (a few hundred records);
//  - quarantine -> `sluice quarantine decrypt` with the private key gives the original bytes; without
//    the key the CLI refuses; a shredded payload can no longer be opened;
//  - `sluice quarantine release` lands a record exactly once on clean (read_committed), audited,
//    and a second release is refused; `sluice audit where` shows decision and release.
import { auditCoverageCounter, expandAudit } from '../support/audit';
import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Consumer, type KafkaConfig } from 'kafkajs';
import { stringify } from 'yaml';
import { SchemaRegistry } from '../../services/scrubber/src/codec/schema-registry';
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';
import { TrafficGenerator, type GeneratedRecord } from '../../services/scrubber/src/demo/traffic-generator';
import { readTopics } from '../../services/scrubber/src/security/topic-reader';
import {
  QuarantineReview,
  type QuarantineEnvelope,
} from '../../services/scrubber/src/quarantine/quarantine-review';
import { loadConfig } from '../../services/scrubber/src/config/load-config';
import { Cleanup, consumeAll, waitFor, type ConsumedMessage } from '../support/kafka';
import { localBroker, type LocalBrokerState } from '../support/local-broker';
import { CanaryProcess } from '../support/canary-process';
import { makeKeys, REPO_ROOT, ScrubberProcess } from '../support/scrubber-process';
import {
  checkExactlyOnce,
  coordKey,
  headerString,
  indexOutputs,
  summarise,
  type Coordinates,
} from '../support/invariants';

jest.setTimeout(420_000);

const CLI = path.join(REPO_ROOT, 'services', 'scrubber', 'dist', 'cli', 'main.js');
const N_GENERATED = 300;
const N_GARBAGE = 4;

function client(state: LocalBrokerState, user: string): Kafka {
  return new Kafka({
    ...localBroker.clientConfig(state, user, `sec-test-${user}`),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('security: SASL/SCRAM + ACLs + review CLI', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  let state: LocalBrokerState;
  const work = mkdtempSync(path.join(tmpdir(), 'sluice-sec-'));
  const keys = makeKeys();
  const id = Math.random().toString(16).slice(2, 10);
  const t = {
    rawChat: `raw.chat.${id}`,
    rawTele: `raw.telemetry.${id}`,
    clean: [`clean.chat.${id}`, `clean.telemetry.${id}`],
    redacted: [`redacted.chat.${id}`, `redacted.telemetry.${id}`],
    quarantine: [`quarantine.chat.${id}`, `quarantine.telemetry.${id}`],
    audit: `sluice.audit.${id}`,
    dataKeys: `sluice.quarantine.keys.${id}`,
  };
  const baseConfig = {
    group: {
      id: `sluice-${id}`,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      partitionsConsumedConcurrently: 3,
    },
    transactions: { idPrefix: `sluice-${id}`, timeoutMs: 10000 },
    sources: [
      {
        name: 'chat',
        topic: t.rawChat,
        kind: 'chat',
        outputs: { clean: t.clean[0], redacted: t.redacted[0], quarantine: t.quarantine[0] },
      },
      {
        name: 'telemetry',
        topic: t.rawTele,
        kind: 'telemetry',
        outputs: { clean: t.clean[1], redacted: t.redacted[1], quarantine: t.quarantine[1] },
      },
    ],
    auditTopic: t.audit,
    quarantine: { dataKeys: 'topic', dataKeyTopic: t.dataKeys },
    scan: { workers: 1 },
  };
  const kafkaSection = (user: string) => {
    const c = localBroker.clientConfig(state, user);
    return { brokers: c.brokers, sasl: c.sasl, ssl: { caFile: state.tls!.caFile } };
  };
  const configFile = (user: string) => {
    const f = path.join(work, `${user}.yaml`);
    writeFileSync(f, stringify({ ...baseConfig, kafka: kafkaSection(user) }), { mode: 0o600 });
    return f;
  };
  // The jest setup exports KAFKA_BROKERS (the shared plain broker); it would override the config.
  const cliEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SLUICE_FINGERPRINT_KEY: keys.fingerprintKey,
      SLUICE_QUARANTINE_PUBLIC_KEY_FILE: keys.publicKeyFile,
    };
    delete env.KAFKA_BROKERS;
    delete env.SLUICE_KAFKA_BROKERS;
    delete env.SLUICE_QUARANTINE_PRIVATE_KEY_FILE;
    return env;
  };
  const cli = (args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: cliEnv(), timeout: 120_000 },
        (err, stdout, stderr) => {
          const code = (err as { code?: unknown } | null)?.code;
          resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
        },
      );
    });

  /** The scrubber process as `scrubber` over SASL_SSL, with only its ACLs. */
  const startScrubber = async (): Promise<ScrubberProcess> => {
    const kafka = kafkaSection('scrubber');
    const scrubber = new ScrubberProcess({
      config: { ...baseConfig, kafka },
      keys,
      // The jest setup's KAFKA_BROKERS (the plain shared broker) would override the config.
      env: { KAFKA_BROKERS: kafka.brokers.join(',') },
    });
    cleanup.defer('kill scrubber', () => scrubber.kill());
    await scrubber.start(120_000);
    return scrubber;
  };

  const registry = SchemaRegistry.load();
  const garbage: Buffer[] = [];
  let inputs: Coordinates[] = [];
  const rawByCoord = new Map<string, Buffer>();
  let auditRecords: ConsumedMessage[] = [];
  /** Personal data (emails, cards) of generated chat records that must be redacted. */
  const redactedSecrets: string[] = [];

  beforeAll(async () => {
    const dir = path.join(work, 'broker');
    // SCRAM over TLS (SASL_SSL), as docs/security.md deploys it: every client below, the scrubber
    // process and the CLI connect with kafka.ssl.caFile and kafka.sasl from their config.
    state = await localBroker.start({ dir, sasl: true, tls: true, fresh: true, reuse: false });
    cleanup.defer('stop SASL broker', async () => {
      await localBroker.stop(dir, { quiet: true });
      rmSync(work, { recursive: true, force: true });
      rmSync(keys.dir, { recursive: true, force: true });
    });
    const admin = client(state, 'admin').admin();
    await cleanup.connect(admin, 'admin');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.rawChat, numPartitions: 3 },
        { topic: t.rawTele, numPartitions: 3 },
      ],
    });
  });

  test('TLS: the listener takes only TLS clients that trust its CA', async () => {
    const attempt = async (ssl: KafkaConfig['ssl'] | undefined): Promise<string> => {
      const { sasl, brokers } = localBroker.clientConfig(state, 'trainer');
      const admin = new Kafka({
        clientId: 'sec-test-tls',
        brokers,
        sasl,
        ...(ssl !== undefined ? { ssl } : {}),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return 'connected';
      } catch (err) {
        return (err as Error).message;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    };
    expect(await attempt({ ca: [readFileSync(state.tls!.caFile, 'utf8')] })).toBe('connected');
    // The system trust store does not know the test CA; plaintext is not spoken at all.
    expect(await attempt(true)).toMatch(/certificate/i);
    expect(await attempt(undefined)).not.toBe('connected');
  });

  test('acl apply (as admin) grants and verifies the five principals', async () => {
    const r = await cli(['acl', 'apply', '--config', configFile('admin')]);
    expect(r.stderr).not.toMatch(/sluice:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/applied and verified \d+ ACL bindings for 5 principals/);
    // Without the super user, applying is refused by the broker (no ALTER on the cluster).
    const denied = await cli(['acl', 'apply', '--config', configFile('trainer')]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/SLUICE_ACL_APPLY_FAILED/);
  });

  test('the scrubber runs end to end as `scrubber` with only its ACLs', async () => {
    // The canary principal may write raw topics (and nothing else may).
    const canary = client(state, 'canary').producer();
    await canary.connect();
    const gen = new TrafficGenerator(registry, { seed: 11, sensitiveRate: 0.1 });
    const chat: GeneratedRecord[] = [];
    const tele: GeneratedRecord[] = [];
    for (let i = 0; i < N_GENERATED; i++)
      (i % 5 < 3 ? chat : tele).push(i % 5 < 3 ? gen.chat() : gen.telemetry());
    for (const r of chat) if (r.expect.verdict === 'redacted') redactedSecrets.push(...r.expect.secrets);
    for (let i = 0; i < N_GARBAGE; i++) garbage.push(Buffer.from(`not avro at all #${i} \u0000\u0001`));
    await canary.send({
      topic: t.rawChat,
      acks: -1,
      messages: [...chat, ...garbage.map((g, i) => ({ key: `g${i}`, value: g, headers: {} }))],
    });
    await canary.send({ topic: t.rawTele, acks: -1, messages: tele });
    await canary.disconnect();
    const total = N_GENERATED + N_GARBAGE;

    const adminKafka = client(state, 'admin');
    const raw = await consumeAll(adminKafka, {
      topics: [t.rawChat, t.rawTele],
      expectedCount: total,
      settleMs: 0,
      deadlineMs: 60_000,
    });
    inputs = raw.map((m) => ({ topic: m.topic, partition: m.partition, offset: m.offset }));
    for (const m of raw) rawByCoord.set(coordKey(m), m.value!);

    const scrubber = await startScrubber();

    // Security may read the audit topic (with its own group prefix): wait for one record per input.
    await waitFor(
      async () => {
        // Range records (runs of clean records) cover several inputs each.
        const seen: Array<{ value: Buffer | null }> = [];
        await readTopics(client(state, 'security'), {
          topics: [t.audit],
          groupPrefix: 'sluice-security',
          onMessage: (m) => void seen.push({ value: m.value }),
        });
        return auditCoverageCounter(registry)(seen) >= total;
      },
      { what: `${total} audit records`, deadlineMs: 240_000, intervalMs: 1000 },
    );
    expect(await scrubber.stop()).toBe(0);
    const log = readFileSync(scrubber.logFile, 'utf8');
    expect(log).not.toMatch(/authorization|not authorized/i);

    const coverage = auditCoverageCounter(registry);
    auditRecords = await consumeAll(adminKafka, {
      topics: [t.audit],
      until: (ms) => coverage(ms) >= total,
      settleMs: 1000,
      deadlineMs: 60_000,
    });
    expect(expandAudit(registry, auditRecords).byCoord.size).toBe(total);
    const outputs = await consumeAll(adminKafka, {
      topics: [...t.clean, ...t.redacted, ...t.quarantine],
      expectedCount: total,
      settleMs: 1000,
      deadlineMs: 60_000,
    });
    const pick = (names: string[]) => outputs.filter((m) => names.includes(m.topic));
    const report = checkExactlyOnce(
      inputs,
      indexOutputs({ clean: pick(t.clean), redacted: pick(t.redacted), quarantined: pick(t.quarantine) }),
    );
    process.stdout.write(`security-acl e2e: ${summarise(report)}\n`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.byVerdict.quarantined).toBeGreaterThanOrEqual(N_GARBAGE);
    // The data keys went to their own compacted topic, one per carried quarantine.
    const dataKeys = await consumeAll(adminKafka, { topics: [t.dataKeys], idleMs: 1500, deadlineMs: 30_000 });
    expect(dataKeys.length).toBe(report.byVerdict.quarantined);
  });

  async function expectDenied(user: string, topic: string): Promise<void> {
    const kafka = client(state, user);
    const consumer: Consumer = kafka.consumer({
      groupId: `trainer-${id}-${user}`,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    try {
      let failure: unknown = null;
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({ eachMessage: async () => undefined });
        await waitFor(() => false, { what: 'an authorization error', deadlineMs: 5000 }).catch(
          () => undefined,
        );
      } catch (err) {
        failure = err;
      }
      expect(String((failure as Error | null)?.message ?? failure)).toMatch(/authoriz/i);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  test('trainer: quarantine is refused, clean is readable; security reads quarantine', async () => {
    await expectDenied('trainer', t.quarantine[0]!);
    await expectDenied('trainer', t.audit);
    const trainerClean = await consumeAllAs('trainer', [t.clean[0]!]);
    expect(trainerClean.length).toBeGreaterThan(0);

    const cfg = loadConfig({
      file: configFile('security'),
      env: {
        SLUICE_FINGERPRINT_KEY: keys.fingerprintKey,
        SLUICE_QUARANTINE_PUBLIC_KEY_FILE: keys.publicKeyFile,
      },
    });
    const items = await new QuarantineReview(
      client(state, 'security'),
      registry,
      cfg,
      'sluice-security',
    ).list();
    const quarantinedAudits = auditRecords.filter(
      (m) => (decodeAvro(registry, m.value!).value as { verdict: string }).verdict === 'QUARANTINED',
    );
    expect(items.length).toBe(quarantinedAudits.length);
  });

  /** Reads topics as a principal with a group its ACLs allow (trainer-*), read_committed. */
  async function consumeAllAs(
    user: string,
    topics: string[],
  ): Promise<
    Array<{ topic: string; partition: number; offset: string; headers: Record<string, string | null> }>
  > {
    const out: Array<{
      topic: string;
      partition: number;
      offset: string;
      headers: Record<string, string | null>;
    }> = [];
    await readTopics(client(state, user), {
      topics,
      groupPrefix: user === 'trainer' ? 'trainer' : 'sluice-security',
      onMessage: (m) =>
        void out.push({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          headers: {
            source: headerString(m as unknown as ConsumedMessage, 'sluice-source'),
            by: headerString(m as unknown as ConsumedMessage, 'sluice-released-by'),
          },
        }),
    });
    return out;
  }

  async function garbageItems(): Promise<Array<{ id: string; env: QuarantineEnvelope; raw: Buffer }>> {
    const r = await cli([
      'quarantine',
      'list',
      '--config',
      configFile('security'),
      '--reason',
      'SLUICE_DECODE_FAILED',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            source: { topic: string; partition: number; offset: number };
            reason: string;
          },
      );
    expect(rows.length).toBe(N_GARBAGE);
    return rows.map((row) => ({
      id: row.id,
      env: row as unknown as QuarantineEnvelope,
      raw: rawByCoord.get(`${row.source.topic}/${row.source.partition}/${row.source.offset}`)!,
    }));
  }

  test('round trip: decrypt with the private key gives the original bytes; without it the CLI refuses', async () => {
    const [first] = await garbageItems();
    expect(garbage.some((g) => g.equals(first!.raw))).toBe(true);

    const refused = await cli(['quarantine', 'decrypt', first!.id, '--config', configFile('security')]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/SLUICE_PRIVATE_KEY_MISSING/);

    const wrongKey = path.join(work, 'other-private.pem');
    writeFileSync(
      wrongKey,
      generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    const wrong = await cli([
      'quarantine',
      'decrypt',
      first!.id,
      '--config',
      configFile('security'),
      '--private-key',
      wrongKey,
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/SLUICE_DECRYPT_FAILED/);

    const ok = await cli([
      'quarantine',
      'decrypt',
      first!.id,
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
    ]);
    expect(ok.stderr).not.toMatch(/sluice:/);
    expect(ok.code).toBe(0);
    const rec = JSON.parse(ok.stdout) as { record: { value: { base64: string } } };
    expect(Buffer.from(rec.record.value.base64, 'base64').equals(first!.raw)).toBe(true);

    const caseFile = path.join(work, 'case.json');
    const exp = await cli([
      'quarantine',
      'export',
      first!.id,
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
      '--out',
      caseFile,
    ]);
    expect(exp.code).toBe(0);
    expect(statSync(caseFile).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(caseFile, 'utf8')) as {
      envelope: { reason: string };
      record: { value: { base64: string } };
    };
    expect(doc.envelope.reason).toBe('SLUICE_DECODE_FAILED');
    expect(Buffer.from(doc.record.value.base64, 'base64').equals(first!.raw)).toBe(true);
    const again = await cli([
      'quarantine',
      'export',
      first!.id,
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
      '--out',
      caseFile,
    ]);
    expect(again.code).toBe(3);
  });

  test('release lands exactly once on clean (read_committed), is audited, and cannot be repeated', async () => {
    const items = await garbageItems();
    const target = items[1]!;
    const rel = await cli([
      'quarantine',
      'release',
      target.id,
      '--to',
      'clean',
      '--principal',
      'alice',
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
    ]);
    expect(rel.stderr).not.toMatch(/sluice:/);
    expect(rel.code).toBe(0);
    const twice = await cli([
      'quarantine',
      'release',
      target.id,
      '--to',
      'clean',
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
    ]);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/SLUICE_ALREADY_RELEASED/);

    const src = `${target.env.source.topic}/${target.env.source.partition}/${target.env.source.offset}`;
    const clean = await consumeAllAs('trainer', [t.clean[0]!]);
    const landed = clean.filter((m) => m.headers.source === src);
    expect(landed).toHaveLength(1);
    // The SASL user comes first; --principal only says whom it acted for.
    expect(landed[0]!.headers.by).toBe('security on behalf of alice');

    const where = await cli([
      'audit',
      'where',
      '--config',
      configFile('security'),
      '--topic',
      target.env.source.topic,
      '--partition',
      String(target.env.source.partition),
      '--offset',
      String(target.env.source.offset),
    ]);
    expect(where.code).toBe(0);
    const lines = where.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/QUARANTINED -> quarantine\.chat\..*reason SLUICE_DECODE_FAILED/);
    expect(lines[1]).toMatch(
      new RegExp(`RELEASED to ${t.clean[0]!.replace(/\./g, '\\.')}/\\d+/\\d+ by security on behalf of alice`),
    );
  });

  test('fingerprints: a value security holds leads to every record that carried it', async () => {
    // The keyed fingerprint of each known value, computed by the CLI from stdin (not argv).
    expect(redactedSecrets.length).toBeGreaterThan(3);
    const fp = spawnSync(
      process.execPath,
      [CLI, 'audit', 'fingerprint', '--config', configFile('security')],
      {
        env: cliEnv(),
        input: redactedSecrets.join('\n') + '\n',
        encoding: 'utf8',
      },
    );
    expect(fp.status).toBe(0);
    const fps = fp.stdout.trim().split('\n');
    expect(fps).toHaveLength(redactedSecrets.length);
    expect(fps.every((f) => /^[0-9a-f]{64}$/.test(f))).toBe(true);

    type Decision = {
      verdict: string;
      fingerprints: string[];
      source: { topic: string; partition: number; offset: number | string };
    };
    const find = async (f: string): Promise<Decision[]> => {
      const r = await cli([
        'audit',
        'find',
        '--config',
        configFile('security'),
        '--fingerprint',
        f,
        '--json',
      ]);
      expect(r.code).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Decision);
    };
    // Every known value is found again, in a redacted record's decision, by its fingerprint alone.
    for (const f of fps.slice(0, 3)) {
      const decisions = await find(f);
      expect(decisions.length).toBeGreaterThan(0);
      expect(decisions.every((d) => d.fingerprints.includes(f))).toBe(true);
      expect(decisions.some((d) => d.verdict === 'REDACTED')).toBe(true);
    }

    // Quarantined records: a finding's fingerprint lists exactly the records that carry it.
    const listed = await cli([
      'quarantine',
      'list',
      '--config',
      configFile('security'),
      '--category',
      'private-key',
      '--json',
    ]);
    expect(listed.code).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            source: Decision['source'];
            findings: Array<{ fingerprint: string }>;
          },
      );
    expect(rows.length).toBeGreaterThan(0);
    const target = rows[0]!.findings[0]!.fingerprint;
    const byFp = await cli([
      'quarantine',
      'list',
      '--config',
      configFile('security'),
      '--fingerprint',
      target,
      '--json',
    ]);
    expect(byFp.code).toBe(0);
    const ids = byFp.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids).toEqual(
      rows.filter((r) => r.findings.some((f) => f.fingerprint === target)).map((r) => r.id),
    );
    const src = rows[0]!.source;
    expect(
      (await find(target)).some(
        (d) =>
          d.verdict === 'QUARANTINED' &&
          d.source.topic === src.topic &&
          d.source.partition === src.partition &&
          String(d.source.offset) === String(src.offset),
      ),
    ).toBe(true);
    // A malformed fingerprint is a usage error with the way to make one.
    const bad = await cli(['audit', 'find', '--config', configFile('security'), '--fingerprint', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fingerprint must be 64 hex digits/);
  });

  test('shred: after the data key is tombstoned the payload cannot be opened', async () => {
    const items = await garbageItems();
    const victim = items[2]!;
    const dry = await cli(['quarantine', 'shred', victim.id, '--config', configFile('security')]);
    expect(dry.stdout).toMatch(/would shred 1 payload/);
    const shred = await cli(['quarantine', 'shred', victim.id, '--yes', '--config', configFile('security')]);
    expect(shred.stderr).not.toMatch(/sluice:/);
    expect(shred.code).toBe(0);
    const gone = await cli([
      'quarantine',
      'decrypt',
      victim.id,
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
    ]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/SLUICE_PAYLOAD_SHREDDED/);
    // Only that one: a neighbour still opens.
    const other = await cli([
      'quarantine',
      'decrypt',
      items[3]!.id,
      '--config',
      configFile('security'),
      '--private-key',
      keys.privateKeyFile,
    ]);
    expect(other.code).toBe(0);
  });
  // Last: its canaries add quarantined records the counts above do not expect.
  test('the canary runs as `canary` over SASL_SSL with only its ACLs: every canary caught, none escaped', async () => {
    // The scrubber again (it resumes from its committed offsets), as `scrubber`.
    const scrubber = await startScrubber();
    const canary = new CanaryProcess({
      instanceId: `cny-${id}`,
      kafka: kafkaSection('canary'),
      sources: baseConfig.sources,
      auditTopic: t.audit,
      canary: {
        intervalMs: 200,
        types: ['aws-key', 'email', 'card'],
        maxCanaries: 6,
        resolveTimeoutMs: 60_000,
      },
    });
    cleanup.defer('stop canary', () => canary.stop());
    // The jest setup's KAFKA_BROKERS (the plain shared broker) would override the config file.
    await canary.start({ KAFKA_BROKERS: undefined, SLUICE_KAFKA_BROKERS: undefined });
    const sum = (text: string, name: string): number =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    let metrics = '';
    await waitFor(
      async () => {
        metrics = await (await fetch(`http://127.0.0.1:${canary.httpPort}/metrics`)).text();
        return sum(metrics, 'sluice_canary_caught_total') + sum(metrics, 'sluice_canary_escaped_total') >= 6;
      },
      {
        what: 'the canary to resolve its 6 canaries',
        deadlineMs: 90_000,
        intervalMs: 250,
        describe: () => `canary log ${canary.logFile}`,
      },
    );
    expect(sum(metrics, 'sluice_canary_sent_total')).toBe(6);
    expect(sum(metrics, 'sluice_canary_caught_total')).toBe(6);
    expect(sum(metrics, 'sluice_canary_escaped_total')).toBe(0);
    expect(sum(metrics, 'sluice_canary_send_errors_total')).toBe(0);
    await canary.stop();
    expect(await scrubber.stop()).toBe(0);
  });
});
