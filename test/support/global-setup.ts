// Jest global setup for the broker-backed projects (integration, e2e, integrity).
// Picks one broker per jest run, in this order, and logs one line saying which:
//   1. KAFKA_BROKERS set            -> external broker, never started or stopped here
//   2. `npm run kafka:start` broker -> reused (state.json pid alive), not stopped afterwards
//   3. Docker engine with the image -> apache/kafka in testcontainers
//   4. otherwise                    -> a private local broker (scripts/kafka/local-broker.cjs)
// SLUICE_TEST_BROKER=external|local|testcontainers forces one kind (no fallback).
// Jest runs this once per selected project; the first call does the work, the rest reuse it.
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { publishBrokerInfo } from './broker-info';
import type { TestBrokerInfo } from './broker-info';
import { localBroker } from './local-broker';
import { acquireSetup, note } from './setup-state';
import { startContainerBroker } from './testcontainers-broker';

const IMAGE =
  process.env.SLUICE_TEST_KAFKA_IMAGE ||
  `apache/kafka:${process.env.KAFKA_VERSION || localBroker.DEFAULT_VERSION}`;

async function checkExternal(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'sluice-test-setup', brokers, logLevel: logLevel.NOTHING }).admin();
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new Error(
          `KAFKA_BROKERS=${brokers.join(',')} did not answer within 30 s: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function useExternal(): Promise<TestBrokerInfo> {
  const brokers = (process.env.KAFKA_BROKERS || '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new Error('SLUICE_TEST_BROKER=external needs KAFKA_BROKERS=host:port[,host:port]');
  await checkExternal(brokers);
  note(`Kafka broker: external ${brokers.join(',')} (KAFKA_BROKERS)`);
  return { kind: 'external', brokers, dir: null, owned: false, version: null };
}

function runningSharedBroker(): TestBrokerInfo | null {
  const { running, state } = localBroker.status(localBroker.DEFAULT_DIR);
  // A --sasl broker needs credentials the plain test helpers do not pass: leave it alone.
  if (!running || !state || state.sasl) return null;
  note(
    `Kafka broker: local, reusing ${state.brokers} (Kafka ${state.version}, pid ${state.pid}, ${state.dir}; left running)`,
  );
  return { kind: 'local', brokers: [state.brokers], dir: state.dir, owned: false, version: state.version };
}

async function useTestcontainers(): Promise<{ info: TestBrokerInfo; stop: () => Promise<void> }> {
  const t0 = Date.now();
  const started = await startContainerBroker(IMAGE);
  note(
    `Kafka broker: testcontainers ${IMAGE} at ${started.brokers.join(',')} in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  return {
    info: { kind: 'testcontainers', brokers: started.brokers, dir: null, owned: true, version: null },
    stop: async () => {
      await started.container.stop();
    },
  };
}

async function useLocal(): Promise<{ info: TestBrokerInfo; stop: () => Promise<void> }> {
  // A private dir per jest run: engineers run suites concurrently in this tree, and
  // broker-bounce tests must only ever restart a broker their own run owns.
  const dir = path.join(path.dirname(localBroker.DEFAULT_DIR), `jest-${process.pid}`);
  const t0 = Date.now();
  const state = await localBroker.start({ dir, fresh: true, reuse: false });
  note(
    `Kafka broker: local, started ${state.brokers} (Kafka ${state.version}) in ${((Date.now() - t0) / 1000).toFixed(1)}s; run dir ${dir}`,
  );
  return {
    info: { kind: 'local', brokers: [state.brokers], dir, owned: true, version: state.version },
    stop: async () => {
      await localBroker.stop(dir, { quiet: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function choose(): Promise<{ info: TestBrokerInfo; stop: (() => Promise<void>) | null }> {
  const forced = process.env.SLUICE_TEST_BROKER || 'auto';
  if (forced === 'external' || (forced === 'auto' && process.env.KAFKA_BROKERS)) {
    return { info: await useExternal(), stop: null };
  }
  if (forced === 'local') {
    const shared = runningSharedBroker();
    return shared ? { info: shared, stop: null } : useLocal();
  }
  if (forced === 'testcontainers') return useTestcontainers();
  if (forced !== 'auto')
    throw new Error(`SLUICE_TEST_BROKER must be auto|external|local|testcontainers, got '${forced}'`);

  // A broker the developer started on purpose is the cheapest and most intentional choice.
  const shared = runningSharedBroker();
  if (shared) return { info: shared, stop: null };
  try {
    return await useTestcontainers();
  } catch (err) {
    note(
      `testcontainers not usable (${(err as Error).message.split('\n')[0]}); falling back to the local broker`,
    );
  }
  return useLocal();
}

export default async function globalSetup(): Promise<void> {
  await acquireSetup(async () => {
    const chosen = await choose();
    publishBrokerInfo(chosen.info);
    return chosen;
  });
}
