// Typed view of scripts/kafka/local-broker.cjs (plain CommonJS so the CLI needs no build).
// Broker-bounce tests use it through testBroker().dir: `await localBroker.restart(dir)`.
import path from 'node:path';

export interface LocalBrokerState {
  kind: 'local';
  pid: number | null;
  /** "127.0.0.1:port" */
  brokers: string;
  ports: { broker: number; controller: number };
  version: string;
  dir: string;
  clusterId: string;
  libs: string;
  /** Set in --sasl mode: users and passwords (SCRAM-SHA-256 and -512 for each). */
  sasl: { mechanisms: string[]; clientMechanism: 'scram-sha-512'; users: Record<string, string> } | null;
  /** Set in --sasl --tls mode: the SASL_SSL listener's CA (clients trust it) and key store. */
  tls?: { caFile: string; keystoreFile: string } | null;
  messageMaxBytes: number;
  serverLog: string;
  stdoutLog: string;
  startedAt: string | null;
  readyMs?: number;
}

export interface LocalBrokerStartOptions {
  dir?: string;
  sasl?: boolean;
  /** With sasl: a SASL_SSL listener (SCRAM over TLS) with a throwaway CA. */
  tls?: boolean;
  /** SASL passwords by user name; missing users get random passwords. */
  users?: Record<string, string>;
  version?: string;
  /** Delete the run dir first. */
  fresh?: boolean;
  readyTimeoutMs?: number;
  /** Resolve with the running broker's state when one already runs in dir (default true). */
  reuse?: boolean;
}

export interface KafkaClientConfigLike {
  clientId: string;
  brokers: string[];
  sasl?: { mechanism: 'scram-sha-512'; username: string; password: string };
  ssl?: { ca: string[] };
}

export interface LocalBrokerModule {
  DEFAULT_DIR: string;
  DEFAULT_VERSION: string;
  SASL_USERS: string[];
  MESSAGE_MAX_BYTES: number;
  start(opts?: LocalBrokerStartOptions): Promise<LocalBrokerState>;
  /** SIGTERM (controlled shutdown), SIGKILL after timeoutMs. */
  stop(
    dir?: string,
    opts?: { timeoutMs?: number; quiet?: boolean },
  ): Promise<{ stopped: boolean; ms?: number; how?: string }>;
  /** SIGKILL, no controlled shutdown: a crash. */
  kill(dir?: string): Promise<{ killed: boolean }>;
  /** Stop (or kill with hard: true) and start again on the same ports and data. */
  restart(dir?: string, opts?: LocalBrokerStartOptions & { hard?: boolean }): Promise<LocalBrokerState>;
  status(dir?: string): { dir: string; running: boolean; state: LocalBrokerState | null };
  readState(dir?: string): LocalBrokerState | null;
  isAlive(pid: number | null | undefined): boolean;
  clientConfig(state: LocalBrokerState, user?: string, clientId?: string): KafkaClientConfigLike;
  waitUntilReady(
    config: KafkaClientConfigLike,
    opts?: { timeoutMs?: number; isDead?: () => boolean },
  ): Promise<{ metadataMs: number; txnMs: number }>;
  freePort(): Promise<number>;
}

export const localBrokerScript = path.resolve(__dirname, '..', '..', 'scripts', 'kafka', 'local-broker.cjs');

// require() returns an untyped module; the interface above is its contract.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const localBroker = require(localBrokerScript) as LocalBrokerModule;
