// A Kafka broker a test owns: its own KRaft run dir in a temp dir, so the test may stop, kill,
// pause and restart it without touching the shared broker other engineers' runs use.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localBroker, type LocalBrokerState } from '../local-broker';
import type { Cleanup } from '../kafka';

export class OwnBroker {
  private constructor(
    readonly dir: string,
    private state: LocalBrokerState,
  ) {}

  /** Starts a fresh broker and registers its stop (and the run dir's removal) with `cleanup`. */
  static async start(cleanup: Cleanup): Promise<OwnBroker> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-own-broker-'));
    cleanup.defer(`remove broker dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    cleanup.defer(`stop broker in ${dir}`, () => localBroker.stop(dir, { quiet: true, timeoutMs: 5000 }));
    const state = await localBroker.start({ dir, fresh: true, reuse: false, readyTimeoutMs: 90_000 });
    return new OwnBroker(dir, state);
  }

  get brokers(): string[] {
    return this.state.brokers.split(',');
  }

  get pid(): number | null {
    return this.state.pid;
  }

  /** Controlled shutdown (SIGTERM), then a start on the same ports and data. */
  async restart(): Promise<void> {
    this.state = await localBroker.restart(this.dir);
  }

  /** A crash (SIGKILL: no controlled shutdown, open transactions left behind), then a start. */
  async crashAndRestart(): Promise<void> {
    this.state = await localBroker.restart(this.dir, { hard: true });
  }

  async stop(): Promise<void> {
    await localBroker.stop(this.dir, { quiet: true });
  }

  async start(): Promise<void> {
    this.state = await localBroker.start({ dir: this.dir, reuse: false, readyTimeoutMs: 90_000 });
  }

  /** SIGSTOP: the broker holds its connections but answers nothing (a GC pause or a hung host). */
  pause(): void {
    if (this.state.pid) process.kill(-this.state.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.state.pid) process.kill(-this.state.pid, 'SIGCONT');
  }
}
