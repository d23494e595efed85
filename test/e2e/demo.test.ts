// The README's first command, minus setup: the demo (scrubber in-process, the canary as a child,
// synthetic traffic) against the real broker, for a fixed time. It must print its live summary
// with traffic, verdicts and caught canaries (none escaped), then drain and exit 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brokers, uniqueName } from '../support/kafka';
import { generateKeys } from '../../services/scrubber/src/cli/keys-command';
import { REPO_ROOT } from '../support/scrubber-process';

jest.setTimeout(180_000);

test('the demo runs end to end: live summary with traffic and caught canaries, clean exit', async () => {
  const keys = mkdtempSync(path.join(tmpdir(), 'sluice-demo-keys-'));
  generateKeys(keys);
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [path.join(REPO_ROOT, 'services', 'scrubber', 'dist', 'demo', 'main.js')],
          {
            cwd: REPO_ROOT,
            timeout: 150_000,
            env: {
              ...process.env,
              KAFKA_BROKERS: brokers().join(','),
              SLUICE_DEMO_KEYS: keys,
              SLUICE_DEMO_SECONDS: '25',
              SLUICE_DEMO_RATE: '200',
              SLUICE_GROUP_ID: uniqueName('demo'),
              SLUICE__HTTP__PORT: '0',
            },
          },
          (err, out, errOut) => {
            const c = (err as { code?: unknown } | null)?.code;
            resolve({ code: err ? (typeof c === 'number' ? c : 1) : 0, stdout: out, stderr: errOut });
          },
        );
      },
    );
    expect({ code, stderr: stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(stdout).toContain('sluice demo: 200 records/s into raw.telemetry, raw.chat');
    const lines = stdout.split(/\r|\n/).filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const last = lines[lines.length - 1]!;
    const total = Number(/ ([\d,]+) total /.exec(last)?.[1]?.replace(/,/g, '') ?? '0');
    expect(total).toBeGreaterThan(1000);
    expect(last).toMatch(/clean [\d.]+% redacted [\d.]+% quarantined [\d.]+%/);
    const canary = /canary sent (\d+) caught (\d+) escaped 0/.exec(last);
    expect(canary).not.toBeNull();
    expect(Number(canary![2])).toBeGreaterThan(0);
    expect(stdout).toContain('stopped.');
  } finally {
    rmSync(keys, { recursive: true, force: true });
  }
});
