import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Drives the compiled CLI (`npm run build` first), as a user would. */
const CLI = join(__dirname, '../../dist/cli/main.js');
// Each case spawns the CLI (~0.5 s each, more on a loaded machine).
jest.setTimeout(120_000);
const KEY_HEX = '5a'.repeat(32);
const AWS_ID = 'AKIAGGAKJSDFV6GUMRZD';
const CARD = '4532015112830366';
const dir = mkdtempSync(join(tmpdir(), 'sluice-scan-cli-'));

interface Out {
  file: string;
  line: number;
  id: string | number;
  verdict: string;
  reason: string | null;
  findings: Array<{
    ruleId: string;
    category: string;
    shadow: boolean;
    start: number;
    end: number;
    fingerprint: string;
    preview: string;
  }>;
  redacted?: string;
  error?: string;
}

function scan(
  args: string[],
  input = '',
  env: Record<string, string | undefined> = { SLUICE_FINGERPRINT_KEY: KEY_HEX },
): { code: number; out: Out[]; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'scan', ...args], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 60_000,
  });
  const out = r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Out);
  return { code: r.status ?? -1, out, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build first`);
});

describe('sluice scan (compiled CLI)', () => {
  it('text lines from stdin: one result per line, UTF-16 offsets after emoji, keyed fingerprints, redacted text, exit 1', () => {
    const lines = ['hello world', 'mail dana@acme-corp.io now', `😀👍🏽 key ${AWS_ID} card ${CARD}`];
    const r = scan([], lines.join('\n') + '\n');
    expect(r.code).toBe(1);
    expect(r.out.map((o) => [o.line, o.id, o.verdict])).toEqual([
      [1, 1, 'clean'],
      [2, 2, 'redacted'],
      [3, 3, 'quarantined'],
    ]);
    expect(r.out[0]!.redacted).toBe('hello world');
    const third = r.out[2]!;
    const aws = third.findings.find((f) => f.ruleId === 'aws-access-key-id')!;
    expect(lines[2]!.slice(aws.start, aws.end)).toBe(AWS_ID);
    expect(aws.fingerprint).toBe(
      createHmac('sha256', Buffer.from(KEY_HEX, 'hex')).update(AWS_ID).digest('hex'),
    );
    expect(aws.preview).toBe('AKIA…MRZD');
    expect(third.reason).toBe('SLUICE_FINDING_QUARANTINE');
    expect(third.redacted).toBe(
      `😀👍🏽 key [AWS_KEY:${aws.fingerprint.slice(0, 8)}] card [CARD:${third.findings.find((f) => f.ruleId === 'credit-card')!.fingerprint.slice(0, 8)}]`,
    );
    expect(r.out[1]!.redacted).toMatch(/^mail \[EMAIL:[0-9a-f]{8}\] now$/);
  });

  it('clean input exits 0', () => {
    const r = scan([], 'nothing to see\nstill nothing\n');
    expect(r.code).toBe(0);
    expect(r.out.every((o) => o.verdict === 'clean' && o.findings.length === 0)).toBe(true);
  });

  it('NDJSON with --field and --id-field over several files; a bad line is quarantined without echoing it and exits 2', () => {
    const a = file(
      'a.ndjson',
      [
        JSON.stringify({ meta: { uid: 'm-1' }, msg: { text: 'plain' } }),
        '',
        JSON.stringify({ meta: { uid: 'm-2' }, msg: { text: `my key ${AWS_ID}` } }),
      ].join('\n'),
    );
    const b = file(
      'b.ndjson',
      [`{"msg": {"text": "${AWS_ID}"`, JSON.stringify({ meta: { uid: 7 }, msg: { other: 1 } })].join('\n'),
    );
    const r = scan(['--field', 'msg.text', '--id-field', 'meta.uid', a, b]);
    expect(r.code).toBe(2);
    expect(r.out.map((o) => [o.file === a ? 'a' : 'b', o.line, o.id, o.verdict, o.reason])).toEqual([
      ['a', 1, 'm-1', 'clean', null],
      ['a', 3, 'm-2', 'quarantined', 'SLUICE_FINDING_QUARANTINE'],
      ['b', 1, 1, 'quarantined', 'SLUICE_DECODE_FAILED'],
      ['b', 2, 7, 'quarantined', 'SLUICE_FIELD_MISSING'],
    ]);
    // The unparseable line held a key: neither stdout (beyond the real finding's redaction) nor stderr may carry it.
    expect(r.stdout.split(AWS_ID).length).toBe(1);
    expect(r.stderr).not.toContain(AWS_ID);
  });

  it('no fingerprint key: exit 2 with a clear message; --ephemeral-key warns and scans', () => {
    const none = scan([], 'x\n', {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no fingerprint key.*SLUICE_FINGERPRINT_KEY/);
    expect(none.out).toEqual([]);
    const eph = scan(['--ephemeral-key'], 'mail dana@acme-corp.io\n', {});
    expect(eph.code).toBe(1);
    expect(eph.stderr).toMatch(/ephemeral fingerprint key/);
    const short = scan(['--fingerprint-key', 'abcd'], 'x\n', {});
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--fingerprint-key must be at least 32 bytes/);
    expect(short.stderr).not.toContain('abcd');
    const fromFile = scan(['--fingerprint-key-file', file('fp.key', `${KEY_HEX}\n`)], 'x\n', {});
    expect(fromFile.code).toBe(0);
  });

  it('--no-builtin --rules-dir with a user rule (warning: no samples) and --engine re2-wasm', () => {
    const rules = mkdtempSync(join(dir, 'rules-'));
    writeFileSync(
      join(rules, 'mine.yaml'),
      "version: 1\nrules:\n  - id: acme-ticket\n    description: t\n    category: confidential\n    action: redact\n    label: TICKET\n    keywords: ['acme-']\n    pattern: '(acme-[0-9]{6})'\n",
    );
    const r = scan(
      ['--no-builtin', '--rules-dir', rules, '--engine', 're2-wasm'],
      `see acme-123456 and ${AWS_ID}\n`,
    );
    expect(r.code).toBe(1);
    expect(r.out[0]!.findings.map((f) => f.ruleId)).toEqual(['acme-ticket']);
    expect(r.stderr).toMatch(/warning: .*acme-ticket.*samples/);
    expect(scan(['--engine', 'pcre'], 'x\n').code).toBe(2);
  });

  it('--overrides shadow: the finding is reported, the verdict stays clean, exit 0', () => {
    const o = file('over.yaml', 'sources:\n  chat:\n    email: { shadow: true }\n');
    const chat = scan(['--overrides', o, '--source', 'chat'], 'mail dana@acme-corp.io\n');
    expect(chat.code).toBe(0);
    expect(chat.out[0]).toMatchObject({ verdict: 'clean', redacted: 'mail dana@acme-corp.io' });
    expect(chat.out[0]!.findings).toHaveLength(1);
    expect(chat.out[0]!.findings[0]!.shadow).toBe(true);
    const other = scan(['--overrides', o, '--source', 'telemetry'], 'mail dana@acme-corp.io\n');
    expect(other.out[0]!.verdict).toBe('redacted');
  });

  it('a flood of findings quarantines the record (fail closed)', () => {
    const flood = Array.from({ length: 3000 }, (_, i) => `u${i}@acme-corp.io`).join(' ');
    const r = scan(['--max-findings', '100'], `${flood}\n`);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatchObject({ verdict: 'quarantined', reason: 'SLUICE_FINDINGS_CAPPED' });
    expect(r.out[0]!.findings).toHaveLength(100);
  });

  it('an unreadable input file exits 2', () => {
    expect(scan([join(dir, 'does-not-exist.txt')]).code).toBe(2);
  });
});
