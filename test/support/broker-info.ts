// How the jest global setup tells test files which Kafka broker to use.
// Primary channel: environment variables set in the jest parent before workers are forked
// (KAFKA_BROKERS, SLUICE_TEST_BROKER_KIND, SLUICE_TEST_BROKER_DIR). Fallback channel: a
// JSON file keyed by the jest parent's pid, in case a runner ever starts workers first.
import fs from 'node:fs';
import path from 'node:path';

export type BrokerKind = 'external' | 'testcontainers' | 'local';

export interface TestBrokerInfo {
  kind: BrokerKind;
  brokers: string[];
  /** Local broker run dir (restart/kill it with localBroker); null for other kinds. */
  dir: string | null;
  /** True when this jest run started the broker, so tests may bounce it without hurting others. */
  owned: boolean;
  version: string | null;
}

export const HANDOFF_DIR = path.resolve(__dirname, '..', '..', '.cache', 'jest-broker');

export function handoffFile(pid: number): string {
  return path.join(HANDOFF_DIR, `${pid}.json`);
}

export function publishBrokerInfo(info: TestBrokerInfo): void {
  process.env.KAFKA_BROKERS = info.brokers.join(',');
  process.env.SLUICE_TEST_BROKER_KIND = info.kind;
  process.env.SLUICE_TEST_BROKER_OWNED = info.owned ? '1' : '0';
  if (info.dir) process.env.SLUICE_TEST_BROKER_DIR = info.dir;
  else delete process.env.SLUICE_TEST_BROKER_DIR;
  if (info.version) process.env.SLUICE_TEST_BROKER_VERSION = info.version;
  fs.mkdirSync(HANDOFF_DIR, { recursive: true });
  fs.writeFileSync(handoffFile(process.pid), JSON.stringify(info) + '\n');
}

export function removeBrokerInfo(): void {
  fs.rmSync(handoffFile(process.pid), { force: true });
}

function isKind(value: string | undefined): value is BrokerKind {
  return value === 'external' || value === 'testcontainers' || value === 'local';
}

/** The broker of this jest run; throws a clear error outside a broker-backed jest project. */
export function readBrokerInfo(): TestBrokerInfo {
  const env = process.env;
  if (env.KAFKA_BROKERS) {
    const kind = isKind(env.SLUICE_TEST_BROKER_KIND) ? env.SLUICE_TEST_BROKER_KIND : 'external';
    return {
      kind,
      brokers: env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      dir: env.SLUICE_TEST_BROKER_DIR || null,
      owned: env.SLUICE_TEST_BROKER_OWNED === '1',
      version: env.SLUICE_TEST_BROKER_VERSION || null,
    };
  }
  // Workers are children of the jest parent; in-band runs are the parent itself.
  for (const pid of [process.ppid, process.pid]) {
    try {
      return JSON.parse(fs.readFileSync(handoffFile(pid), 'utf8')) as TestBrokerInfo;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(
    'No Kafka broker for this test: run it through a jest project with the broker global setup ' +
      '(--selectProjects integration|e2e|integrity), or set KAFKA_BROKERS=host:port.',
  );
}
