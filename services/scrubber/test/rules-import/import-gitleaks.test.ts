import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { createRegexEngine } from '../../src/scan/regex-engine';
import { convertGitleaks } from '../../src/rules-import/gitleaks-convert';
import { parseGitleaksConfig } from '../../src/rules-import/gitleaks-config';
import { importGitleaks } from '../../src/rules-import/import-gitleaks';

const CLI = join(__dirname, '../../dist/cli/main.js');
// Each case spawns the CLI (~0.5 s each, more on a loaded machine).
jest.setTimeout(120_000);
const FIXTURE = join(__dirname, 'fixtures/acme-gitleaks.toml');
const KEY = '5a'.repeat(32);

function run(args: string[], input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, SLUICE_FINGERPRINT_KEY: KEY },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('importGitleaks', () => {
  const r = importGitleaks(FIXTURE);

  it('imports usable rules as credential/quarantine with converted fields', () => {
    expect(r.rules.map((x) => x.id)).toEqual([
      'acme-deploy-token',
      'acme-legacy-key',
      'acme-and',
      'gitleaks-email',
    ]);
    const deploy = r.rules[0]!;
    expect(deploy).toMatchObject({
      category: 'credential',
      action: 'quarantine',
      label: 'ACME_DEPLOY_TOKEN',
      keywords: ['acmd_'],
      secretGroup: 1,
      minEntropy: 3,
    });
    expect(deploy.allowlist).toEqual({ patterns: ['^acmd_0{24}$'], stopwords: ['dummy'] });
    expect(r.rules[1]!.allowlist).toEqual({ patterns: [], stopwords: ['dummy'] }); // line-target regex dropped, global stopword kept
    expect(r.rules[2]!.allowlist).toEqual({ patterns: [], stopwords: ['dummy'] }); // AND allowlist dropped
  });

  it('skips what RE2 or Sluice cannot run, with the reason', () => {
    const why = Object.fromEntries(r.skipped.map((s) => [s.id, s.reason]));
    expect(Object.keys(why).sort()).toEqual([
      'acme-backref',
      'acme-bad-group',
      'acme-lookbehind',
      'acme-no-keyword',
      'pem-files',
    ]);
    expect(why['acme-lookbehind']).toMatch(/not RE2 \(re2-wasm: .+\)/);
    expect(why['acme-backref']).toMatch(/not RE2/);
    expect(why['pem-files']).toMatch(/path-only/);
    expect(why['acme-no-keyword']).toMatch(/no usable keywords/);
    expect(why['acme-bad-group']).toMatch(/secretGroup 2 but the regex has 0/);
    const notes = r.notes.map((n) => `${n.id}: ${n.note}`).join('\n');
    expect(notes).toMatch(/acme-deploy-token: allowlist paths ignored/);
    expect(notes).toMatch(/Acme Legacy Key: allowlist regexes with regexTarget 'line' dropped/);
    expect(notes).toMatch(/acme-and: allowlist with condition AND .* dropped/);
    expect(notes).toMatch(/email: id 'email' is a built-in rule: imported as 'gitleaks-email'/);
  });

  it('writes a rules file with the skips in its header', () => {
    expect(r.yaml).toMatch(
      /^# Imported by `sluice rules import-gitleaks` from acme-gitleaks.toml \(acme custom gitleaks rules\)/,
    );
    expect(r.yaml).toMatch(/# skipped acme-lookbehind: regex is not RE2/);
    const doc = parseYaml(r.yaml) as { version: number; rules: unknown[] };
    expect(doc.version).toBe(1);
    expect(doc.rules).toHaveLength(4);
  });

  it('rejects a file that is not TOML, naming it', () => {
    expect(() => parseGitleaksConfig('rules = [', 'x.toml')).toThrow(/x.toml: not valid TOML/);
    expect(() => parseGitleaksConfig('[[rules]]\nregex = "a"', 'y.toml')).toThrow(
      /y.toml: not a gitleaks config: key 'rules.0.id'/,
    );
  });

  it('property: any rule ids become unique kebab-case ids, every rule imported or skipped', () => {
    const engines = [createRegexEngine('re2-wasm')];
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 }),
        (ids) => {
          const cfg = parseGitleaksConfig(
            ids
              .map(
                (id) =>
                  `[[rules]]\nid = ${JSON.stringify(id)}\nregex = 'tok_([a-z]{8})'\nkeywords = ["tok_"]\n`,
              )
              .join('\n'),
            'p.toml',
          );
          const rep = convertGitleaks(cfg, {
            engines,
            takenIds: new Set(['email']),
            prefix: '',
            maxLength: 64,
          });
          const out = rep.rules.map((x) => x.id);
          expect(new Set(out).size).toBe(out.length);
          for (const id of out) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
          expect(rep.rules.length + rep.skipped.length).toBe(ids.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('sluice rules import-gitleaks (compiled CLI)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build first`);
  });

  it('writes --out, reports skips on stderr, and the result scans with `sluice scan`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-import-cli-'));
    const out = join(dir, 'acme.yaml');
    const imp = run(['rules', 'import-gitleaks', FIXTURE, '--out', out]);
    expect(imp.code).toBe(0);
    expect(imp.stderr).toMatch(/imported 4 rule\(s\), skipped 5; wrote/);
    expect(imp.stderr).toMatch(/skipped acme-lookbehind: regex is not RE2/);
    expect(readFileSync(out, 'utf8')).toContain('acme-deploy-token');

    const token = 'acmd_' + 'k3j9x0q2m7v4b8n1c6z5l2p9';
    const lines = [
      `deploy with ${token}`,
      `deploy with acmd_${'0'.repeat(24)}`,
      'ACME_LEGACY_KEY = "AB12CD34EF56GH78IJ90"',
      `low entropy acmd_${'ab'.repeat(12)}`,
      'corp_mail_abcdef',
    ];
    const scan = run(['scan', '--no-builtin', '--rules-dir', dir], lines.join('\n') + '\n');
    expect(scan.code).toBe(1);
    expect(scan.stderr).toMatch(/warning: .*acme-deploy-token.*samples/);
    const res = scan.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { verdict: string; findings: { ruleId: string; start: number; end: number }[] },
      );
    expect(res.map((x) => x.findings.map((f) => f.ruleId))).toEqual([
      ['acme-deploy-token'],
      [],
      ['acme-legacy-key'],
      [],
      ['gitleaks-email'],
    ]);
    expect(res[0]!.verdict).toBe('quarantined');
    const legacy = res[2]!.findings[0]!;
    expect(lines[2]!.slice(legacy.start, legacy.end)).toBe('AB12CD34EF56GH78IJ90');
  });

  it('exits 2 on a missing file or when nothing can be imported', () => {
    expect(run(['rules', 'import-gitleaks', '/nonexistent/x.toml']).code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-import-none-'));
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, "[[rules]]\nid = 'x'\nregex = '''(?=a)b'''\nkeywords = ['ab']\n");
    const r = run(['rules', 'import-gitleaks', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/imported 0 rule\(s\), skipped 1/);
  });
});

describe('sluice rules check (compiled CLI)', () => {
  it('runs samples of user rules: 0 when they pass, 2 with the failing sample named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-check-'));
    const rule = (neg: string): string =>
      `version: 1\nrules:\n  - id: acme-ticket\n    description: t\n    category: confidential\n    action: redact\n    label: TICKET\n    keywords: ['acme-']\n    pattern: '(acme-[0-9]{6})'\n    samples:\n      positive:\n        - { text: 'see acme-123456', secret: acme-123456 }\n      negative:\n        - '${neg}'\n`;
    writeFileSync(join(dir, 'ok.yaml'), rule('acme-12'));
    const ok = run(['rules', 'check', '--no-builtin', '--rules-dir', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^1 rule\(s\), ruleset rs-[0-9a-f]{8}, 0 sample failure\(s\)/);
    writeFileSync(join(dir, 'ok.yaml'), rule('acme-654321'));
    const bad = run(['rules', 'check', '--no-builtin', '--rules-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/FAIL .*ok.yaml: rule 'acme-ticket' negative sample #0: unexpected finding/);
  });
});
