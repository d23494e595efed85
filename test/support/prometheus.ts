// A real Prometheus server (Debian's `prometheus` binary) for integration tests: config and
// rules in a temp dir, file-based service discovery so targets can be added once their ports
// are known, and a small client for its HTTP API. Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './kafka';

export const PROMETHEUS_RULES_DIR = path.resolve(__dirname, '..', '..', 'deploy', 'prometheus', 'rules');

/** The prometheus binary, or null with the reason it is unusable. */
export function findPrometheus(): { bin: string } | { bin: null; why: string } {
  const bin = process.env.SLUICE_PROMETHEUS_BIN ?? 'prometheus';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return { bin: null, why: `${bin} --version failed: ${r.error?.message ?? r.stderr}` };
  return { bin };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PrometheusOptions {
  /** job name -> file-sd targets file name (targets are set later with setTargets). */
  jobs: string[];
  /** Rule files to load: [name, YAML text]. */
  rules: Array<[string, string]>;
  scrapeIntervalS?: number;
  evaluationIntervalS?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: string;
}

export class PrometheusServer {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sluice-prom-'));
  port = 0;
  exited: number | string | null = null;

  constructor(
    private readonly bin: string,
    private readonly opts: PrometheusOptions,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.dir, 'prometheus.log');
  }

  async start(): Promise<void> {
    const { jobs, rules, scrapeIntervalS = 1, evaluationIntervalS = 1 } = this.opts;
    const ruleFiles = rules.map(([name, text]) => {
      const f = path.join(this.dir, name);
      writeFileSync(f, text);
      return f;
    });
    for (const job of jobs) this.setTargets(job, []);
    // JSON is YAML: no YAML writer needed for the config.
    const config = {
      global: {
        scrape_interval: `${scrapeIntervalS}s`,
        evaluation_interval: `${evaluationIntervalS}s`,
        scrape_timeout: `${scrapeIntervalS}s`,
      },
      rule_files: ruleFiles,
      scrape_configs: jobs.map((job) => ({
        job_name: job,
        file_sd_configs: [{ files: [path.join(this.dir, `${job}.targets.json`)], refresh_interval: '1s' }],
      })),
    };
    writeFileSync(path.join(this.dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    this.port = await freePort();
    const log = createWriteStream(this.logFile);
    const child = spawn(
      this.bin,
      [
        `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.on('exit', (code, signal) => (this.exited = code ?? signal));
    this.child = child;
    await waitFor(
      async () => {
        if (this.exited !== null)
          throw new Error(
            `prometheus exited (${this.exited}); log ${this.logFile}:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`,
          );
        const res = await fetch(`${this.url}/-/ready`);
        return res.ok;
      },
      { what: 'prometheus to be ready', deadlineMs: 30_000, intervalMs: 100 },
    );
  }

  /** Replaces the targets of a job (file-based discovery picks the file up within a second or so). */
  setTargets(job: string, targets: string[]): void {
    const file = path.join(this.dir, `${job}.targets.json`);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(targets.length > 0 ? [{ targets }] : []));
    // Atomic replace so discovery never reads half a file.
    renameSync(tmp, file);
  }

  private async api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${this.url}${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? res.status}`);
    return body.data;
  }

  /** Instant query; returns the vector. */
  async query(promql: string): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: PromSample[] }>(
      `/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    if (data.resultType !== 'vector')
      throw new Error(`query ${promql}: expected a vector, got ${data.resultType}`);
    return data.result;
  }

  /** The single value of a query that must return at most one series (null when empty). */
  async scalar(promql: string): Promise<number | null> {
    const r = await this.query(promql);
    if (r.length > 1) throw new Error(`query ${promql} returned ${r.length} series`);
    return r.length === 0 ? null : Number(r[0]!.value[1]);
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  }

  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    return (
      await this.api<{
        activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }>;
      }>('/api/v1/targets')
    ).activeTargets;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited !== null) return;
    child.kill('SIGTERM');
    await waitFor(() => this.exited !== null, {
      what: 'prometheus to exit',
      deadlineMs: 20_000,
      intervalMs: 50,
    }).catch(() => child.kill('SIGKILL'));
  }
}

/** A copy of the shipped alert rules with every `for:` set to 0s, so a live test sees alerts at once. */
export function alertRulesWithoutFor(): string {
  return readFileSync(path.join(PROMETHEUS_RULES_DIR, 'sluice-alerts.yml'), 'utf8').replace(
    /^(\s+)for: \S+$/gm,
    '$1for: 0s',
  );
}

export function recordingRules(): string {
  return readFileSync(path.join(PROMETHEUS_RULES_DIR, 'sluice-recording.yml'), 'utf8');
}
