// A Kafka broker in Docker for machines that have a container engine.
//
// Not @testcontainers/kafka's KafkaContainer: in 12.x it drives Confluent cp-kafka images
// (it runs /etc/confluent/docker/run and treats tags below 7.0.0 as ZooKeeper mode), so it
// cannot run apache/kafka:4.1.1. The apache/kafka image is configured from KAFKA_* env vars
// at start, so we bind the same free port inside and outside the container and advertise
// 127.0.0.1:<port>, which is right for both the broker itself and the host.
import { GenericContainer, ImageName, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { localBroker } from './local-broker';

export interface ContainerBroker {
  brokers: string[];
  image: string;
  container: StartedTestContainer;
}

function withTimeout<T>(
  what: string,
  ms: number,
  promise: Promise<T>,
  onLate?: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`${what} took longer than ${ms} ms`));
    }, ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (late) onLate?.(value);
        else resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export async function startContainerBroker(image: string): Promise<ContainerBroker> {
  // Runtime detection fails in milliseconds when no engine is reachable.
  const client = await withTimeout('container runtime detection', 5000, getContainerRuntimeClient());
  const imageName = ImageName.fromString(image);
  if (!(await client.image.exists(imageName))) {
    // An engine without registry access would otherwise stall the run for minutes.
    const pullMs = Number(process.env.SLUICE_TEST_DOCKER_PULL_TIMEOUT_MS || 20000);
    await withTimeout(`docker pull ${image}`, pullMs, client.image.pull(imageName));
  }
  const port = await localBroker.freePort();
  const container = new GenericContainer(image)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      CLUSTER_ID: 'c2x1aWNlLXRlc3QtY2x1c3Rlcg',
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://127.0.0.1:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@127.0.0.1:9093',
      // Same test-friendly settings as scripts/kafka/local-broker.cjs.
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '5',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '5',
      KAFKA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS: '5000',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS: '500',
      KAFKA_MESSAGE_MAX_BYTES: String(localBroker.MESSAGE_MAX_BYTES),
      KAFKA_REPLICA_FETCH_MAX_BYTES: String(localBroker.MESSAGE_MAX_BYTES),
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx1g',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(90000);
  const started = await withTimeout('kafka container start', 120000, container.start(), (late) => {
    void late.stop().catch(() => undefined);
  });
  const brokers = [`127.0.0.1:${port}`];
  try {
    await localBroker.waitUntilReady({ clientId: 'sluice-test-setup', brokers }, { timeoutMs: 60000 });
  } catch (err) {
    await started.stop().catch(() => undefined);
    throw err;
  }
  return { brokers, image, container: started };
}
