// The canary CLI (services/canary) as a child process, configured through a YAML file like in
// production. Without a `kafka` section it connects to the test broker.
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { brokers, waitFor } from './kafka';
import { REPO_ROOT } from './scrubber-process';

const CANARY_CLI = path.join(REPO_ROOT, 'services', 'canary', 'dist', 'main.js');

/** The canary CLI as a child process, configured through a YAML file like in production. */
export class CanaryProcess {
  child: ChildProcess | null = null;
  httpPort = 0;
  exited: number | string | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sluice-canary-'));

  constructor(config: Record<string, unknown>) {
    writeFileSync(
      path.join(this.dir, 'canary.yaml'),
      stringify({ kafka: { brokers: brokers() }, http: { port: 0 }, ...config }),
    );
  }

  get logFile(): string {
    return path.join(this.dir, 'canary.log');
  }

  /** `env` replaces variables of the test process (e.g. `{ KAFKA_BROKERS: undefined }`). */
  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const log = createWriteStream(this.logFile);
    const child = fork(CANARY_CLI, ['--config', path.join(this.dir, 'canary.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'info', ...env },
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.on('exit', (code, signal) => (this.exited = code ?? signal));
    child.on('message', (m: { type?: string; httpPort?: number }) => {
      if (m?.type === 'sluice-canary-started') this.httpPort = m.httpPort ?? 0;
    });
    this.child = child;
    await waitFor(
      () => {
        if (this.exited !== null)
          throw new Error(
            `canary exited (${this.exited}): ${readFileSync(this.logFile, 'utf8').slice(-1500)}`,
          );
        return this.httpPort > 0;
      },
      { what: 'canary to start', deadlineMs: 90_000, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    if (!this.child || this.exited !== null) return;
    this.child.kill('SIGTERM');
    await waitFor(() => this.exited !== null, { what: 'canary to exit', deadlineMs: 20_000, intervalMs: 25 });
  }
}
