// Runs the real scrubber (`sluice run`, compiled) as a child process, so tests can SIGTERM and
// SIGKILL it like an orchestrator would. Config goes in a temp YAML file, secrets via env.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { generateKeys } from '../../services/scrubber/src/cli/keys-command';
import { brokers, waitFor } from './kafka';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'services', 'scrubber', 'dist', 'cli', 'main.js');

export interface KeyMaterial {
  dir: string;
  publicKeyFile: string;
  privateKeyFile: string;
  fingerprintKey: string;
}

export function makeKeys(): KeyMaterial {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-keys-'));
  generateKeys(dir);
  return {
    dir,
    publicKeyFile: path.join(dir, 'quarantine-public.pem'),
    privateKeyFile: path.join(dir, 'quarantine-private.pem'),
    fingerprintKey: readFileSync(path.join(dir, 'fingerprint.key'), 'utf8').trim(),
  };
}

export interface ScrubberProcessOptions {
  /** Config object written as YAML (kafka.brokers defaults to the test broker). */
  config: Record<string, unknown>;
  keys: KeyMaterial;
  /** Where the child's stdout/stderr (JSON logs) go. */
  logFile?: string;
  env?: Record<string, string>;
}

export class ScrubberProcess {
  child: ChildProcess | null = null;
  httpPort = 0;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly logFile: string;
  private readonly configFile: string;
  /** Brokers named explicitly in the config (a test's own broker), or null for the test broker. */
  private readonly explicitBrokers: string[] | null;

  constructor(private readonly opts: ScrubberProcessOptions) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-run-'));
    this.configFile = path.join(dir, 'config.yaml');
    this.logFile = opts.logFile ?? path.join(dir, 'scrubber.log');
    mkdirSync(path.dirname(this.logFile), { recursive: true });
    const config: Record<string, unknown> = { http: { port: 0 }, ...opts.config };
    const kafka = (config.kafka as Record<string, unknown> | undefined) ?? {};
    this.explicitBrokers = Array.isArray(kafka.brokers) ? (kafka.brokers as string[]) : null;
    writeFileSync(this.configFile, stringify({ ...config, kafka: { brokers: brokers(), ...kafka } }));
  }

  /** Starts the child and resolves once it reports it is consuming. */
  async start(deadlineMs = 60_000): Promise<void> {
    this.exitCode = null;
    this.exitSignal = null;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = fork(CLI, ['run', '--config', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        SLUICE_FINGERPRINT_KEY: this.opts.keys.fingerprintKey,
        SLUICE_QUARANTINE_PUBLIC_KEY_FILE: this.opts.keys.publicKeyFile,
        SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'info',
        // KAFKA_BROKERS (set by the jest setup) overrides the config file: pass explicit brokers on.
        ...(this.explicitBrokers ? { KAFKA_BROKERS: this.explicitBrokers.join(',') } : {}),
        ...this.opts.env,
      },
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    let started = false;
    child.on('message', (m: { type?: string; httpPort?: number }) => {
      if (m?.type === 'sluice-started') {
        started = true;
        this.httpPort = m.httpPort ?? 0;
      }
    });
    child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
    });
    await waitFor(() => started || !this.running, {
      what: 'scrubber to start consuming',
      deadlineMs,
      intervalMs: 50,
    });
    if (!started) throw new Error(`scrubber exited during start: ${this.exitReport(3)}`);
  }

  /** Fails, with the exit code and the last log lines, unless the process is still running. */
  expectRunning(): void {
    if (!this.running) throw new Error(`scrubber is no longer running: ${this.exitReport(12)}`);
  }

  private exitReport(lines: number): string {
    const tail = existsSync(this.logFile)
      ? readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n')
      : '(no log)';
    return `code ${this.exitCode}, signal ${this.exitSignal}; log ${this.logFile}:\n${tail}`;
  }

  /** The child's log so far (JSON lines). */
  logText(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  get running(): boolean {
    return this.child !== null && this.exitCode === null && this.exitSignal === null;
  }

  /** SIGKILL: no drain, no cleanup; what a crash or OOM kill looks like. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(deadlineMs = 45_000): Promise<number | null> {
    await this.signal('SIGTERM', deadlineMs);
    return this.exitCode;
  }

  private async signal(sig: NodeJS.Signals, deadlineMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill(sig);
    await waitFor(() => !this.running, { what: `scrubber to exit after ${sig}`, deadlineMs, intervalMs: 25 });
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`);
    return res.text();
  }
}

export function writeJson(file: string, data: unknown): void {
  writeFileSync(file, JSON.stringify(data, null, 2));
}
