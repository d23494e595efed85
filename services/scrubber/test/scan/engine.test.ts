import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { ScanEngine } from '../../src/scan/engine';
import { SluiceError } from '../../src/errors';
import { AWS_ID, CARD, GHP, KEY, nativeAvailable, STARTER, starterEngine } from './support/engine';

const engines: Array<['re2-wasm' | 're2-native', () => ScanEngine]> = [
  ['re2-wasm', () => starterEngine({ regexEngine: 're2-wasm' })],
];
if (nativeAvailable()) engines.push(['re2-native', () => starterEngine({ regexEngine: 're2-native' })]);

describe.each(engines)('ScanEngine (%s)', (_kind, get) => {
  const engine = get();

  it('finds nothing in clean text and returns the shared empty array', () => {
    const a = engine.scanText('hello there, shall we meet at noon tomorrow?');
    expect(a).toEqual([]);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('reports UTF-16 offsets in the original text after emoji (code point vs unit)', () => {
    const text = `😀😀👍🏽 token ${GHP} and 🎉 ${AWS_ID}`;
    const f = engine.scanText(text);
    const byRule = Object.fromEntries(f.map((x) => [x.ruleId, text.slice(x.start, x.end)]));
    expect(byRule['github-pat-classic']).toBe(GHP);
    expect(byRule['aws-access-key-id']).toBe(AWS_ID);
  });

  it('finds secrets hidden by fullwidth chars and zero-width spaces, reported on the original span', () => {
    const hidden = `ｇｈｐ＿${GHP.slice(4, 10)}\u200b${GHP.slice(10)}`;
    const text = `x ${hidden} y`;
    const f = engine.scanText(text).filter((x) => x.ruleId === 'github-pat-classic');
    expect(f).toHaveLength(1);
    expect(text.slice(f[0]!.start, f[0]!.end)).toBe(hidden);
  });

  it('fills fingerprint (HMAC-SHA-256 of the value), masked preview and label', () => {
    const [f] = engine.scanText(`key ${AWS_ID}`);
    expect(f!.fingerprint).toBe(createHmac('sha256', KEY).update(AWS_ID).digest('hex'));
    expect(f!.preview).toBe('AKIA…MRZD');
    expect(f!.label).toBe('AWS_KEY');
    expect(f!.action).toBe('quarantine');
    expect(JSON.stringify(f)).not.toContain(AWS_ID);
  });

  it('applies validators, allowlists and context words', () => {
    expect(engine.scanText('AKIAIOSFODNN7EXAMPLE')).toEqual([]);
    expect(engine.scanText(`card ${CARD.slice(0, -1)}7`)).toEqual([]);
    expect(engine.scanText(`card ${CARD}`).map((x) => x.ruleId)).toEqual(['credit-card']);
    // Entropy: a low-entropy value in the right place is not reported.
    expect(engine.scanText('secret_access_key=KQYbY+qXSAb2ReQ62WYoB2eFRk47VJ0dvb9pk68L').length).toBe(1);
    expect(engine.scanText('secret_access_key=abababababababababababababababababababab')).toEqual([]);
  });

  it('dedupes: the same span found by one rule twice is reported once', () => {
    const text = `${GHP} ${GHP}`;
    const f = engine.scanText(text);
    expect(f.map((x) => x.start)).toEqual([0, GHP.length + 1]);
  });

  it('scanRecord scans each text and never throws', () => {
    const r = engine.scanRecord({
      source: 'chat',
      texts: [
        { path: 'value.text', text: `hi ${AWS_ID}` },
        { path: 'key', text: 'conv-1' },
      ],
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.findings).toHaveLength(2);
      expect(r.findings[0]!.map((x) => x.ruleId)).toEqual(['aws-access-key-id']);
      expect(r.findings[1]).toEqual([]);
      expect(r.scanNanos).toBeGreaterThan(0);
    }
    const bad = engine.scanRecord({
      source: 'chat',
      texts: [{ path: 'x', text: null as unknown as string }],
    });
    expect(bad.ok).toBe(false);
  });
});

describe('ScanEngine configuration', () => {
  it('per-rule and per-source overrides', () => {
    const e = ScanEngine.create({
      includeBuiltin: false,
      ruleFiles: [STARTER],
      fingerprintKey: KEY,
      overrides: {
        rules: { email: { action: 'quarantine' } },
        sources: { telemetry: { email: { enabled: false } }, chat: { 'credit-card': { shadow: true } } },
      },
    });
    expect(e.scanText('mail dana@acme-corp.io')[0]!.action).toBe('quarantine');
    expect(e.scanText('mail dana@acme-corp.io', 'telemetry')).toEqual([]);
    expect(e.scanText(`card ${CARD}`, 'chat')[0]!.shadow).toBe(true);
    expect(e.scanText(`card ${CARD}`)[0]!.shadow).toBe(false);
  });

  it('ruleset version is a short content hash that changes with rules and overrides', () => {
    const a = starterEngine();
    expect(a.rulesetVersion).toMatch(/^rs-[0-9a-f]{8}$/);
    const again = ScanEngine.create({
      includeBuiltin: false,
      ruleFiles: [STARTER],
      fingerprintKey: Buffer.alloc(32, 1),
    });
    expect(again.rulesetVersion).toBe(a.rulesetVersion);
    const b = ScanEngine.create({
      includeBuiltin: false,
      ruleFiles: [STARTER],
      fingerprintKey: KEY,
      overrides: { rules: { email: { shadow: true } } },
    });
    expect(b.rulesetVersion).not.toBe(a.rulesetVersion);
  });

  it('internalDomains adds a confidential rule', () => {
    const e = ScanEngine.create({
      includeBuiltin: false,
      ruleFiles: [STARTER],
      fingerprintKey: KEY,
      internalDomains: ['corp.acme.io'],
    });
    const text = 'deploy to build-07.eu.corp.acme.io now';
    const f = e.scanText(text).filter((x) => x.ruleId === 'internal-domain');
    expect(f.map((x) => text.slice(x.start, x.end))).toEqual(['build-07.eu.corp.acme.io']);
    expect(() =>
      ScanEngine.create({
        includeBuiltin: false,
        ruleFiles: [STARTER],
        fingerprintKey: KEY,
        internalDomains: ['not a domain'],
      }),
    ).toThrow(SluiceError);
  });

  it('rejects a short fingerprint key', () => {
    expect(() =>
      ScanEngine.create({ includeBuiltin: false, ruleFiles: [STARTER], fingerprintKey: Buffer.alloc(4) }),
    ).toThrow(/fingerprintKey/);
  });
});

describe('rule loader errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-rules-'));
  let n = 0;
  const write = (body: string): string => {
    const p = join(dir, `r${n++}.yaml`);
    writeFileSync(p, body);
    return p;
  };
  const rule = (extra: string): string => `version: 1
rules:
  - id: my-token
    description: test
    category: credential
    action: quarantine
    label: MY_TOKEN
    keywords: [mytok_]
    pattern: '(mytok_[a-z]{8})'
${extra}`;
  const load = (p: string) =>
    ScanEngine.create({ includeBuiltin: false, ruleFiles: [p], fingerprintKey: KEY });

  it('loads a user rule without samples, with a warning', () => {
    const e = load(write(rule('')));
    expect(e.warnings.join()).toMatch(/my-token.*samples/);
    expect(e.scanText('x mytok_abcdefgh y').map((f) => f.ruleId)).toEqual(['my-token']);
  });

  it('rejects unknown keys, naming file, rule and key', () => {
    const p = write(rule('    keyword: [oops]\n'));
    expect(() => load(p)).toThrow(/r\d+\.yaml: rule 'my-token': unknown key\(s\) 'keyword'/);
  });

  it('rejects a bad enum value, naming the expected form', () => {
    const p = write(rule('').replace('action: quarantine', 'action: block'));
    expect(() => load(p)).toThrow(/rule 'my-token': key 'action'.*redact.*quarantine/);
  });

  it('rejects a pattern RE2 cannot compile (backreference), naming the rule', () => {
    const p = write(rule('').replace("'(mytok_[a-z]{8})'", "'(a)\\1'"));
    try {
      load(p);
      throw new Error('expected failure');
    } catch (err) {
      expect(err).toBeInstanceOf(SluiceError);
      expect((err as SluiceError).code).toBe('SLUICE_RULES_INVALID');
      expect((err as Error).message).toMatch(/rule 'my-token': key 'pattern' does not compile as RE2/);
    }
  });

  it('rejects duplicate ids across files and unknown override ids', () => {
    const a = write(rule(''));
    const b = write(rule(''));
    expect(() =>
      ScanEngine.create({ includeBuiltin: false, ruleFiles: [a, b], fingerprintKey: KEY }),
    ).toThrow(/duplicate id/);
    expect(() =>
      ScanEngine.create({
        includeBuiltin: false,
        ruleFiles: [a],
        fingerprintKey: KEY,
        overrides: { rules: { nope: { shadow: true } } },
      }),
    ).toThrow(/unknown rule id 'nope'/);
  });

  it('a rule without keywords or anchor is rejected', () => {
    const p = write(rule('').replace('keywords: [mytok_]', 'keywords: []'));
    expect(() => load(p)).toThrow(/keywords or an anchor/);
  });
});
