import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FINDINGS_CAPPED, ScanEngine } from '../../src/scan/engine';
import { countCaptureGroups } from '../../src/scan/rules/capture-groups';
import { notUrlUserinfo } from '../../src/scan/validators/url-userinfo';
import { decide } from '../../src/route/decide';
import { CARD, KEY, nativeAvailable, STARTER } from './support/engine';

const dir = mkdtempSync(join(tmpdir(), 'sluice-semantics-'));
let n = 0;
function ruleFile(body: string): string {
  const p = join(dir, `r${n++}.yaml`);
  writeFileSync(
    p,
    `version: 1\nrules:\n  - id: my-code\n    description: test\n    category: pii\n    action: redact\n    label: CODE\n${body}`,
  );
  return p;
}
const engineFor = (p: string, extra: Partial<Parameters<typeof ScanEngine.create>[0]> = {}): ScanEngine =>
  ScanEngine.create({
    includeBuiltin: false,
    ruleFiles: [p],
    fingerprintKey: KEY,
    regexEngine: 're2-wasm',
    ...extra,
  });

describe('countCaptureGroups', () => {
  it.each([
    ['abc', 0],
    ['(a)(b)', 2],
    ['(?:a)(b)', 1],
    ['(?i)(a)', 1],
    ['(?P<x>a)(?<y>b)', 2],
    ['\\(a\\)', 0],
    ['[(](a)', 1],
    ['[^]()](a)', 1],
    ['\\Q(((\\E(a)', 1],
    ['(?i:x)(y)', 1],
  ])('%s has %d', (p, k) => expect(countCaptureGroups(p)).toBe(k));

  (nativeAvailable() ? it : it.skip)('agrees with RE2 on generated patterns', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional addon, present in this branch
    const RE2 = require('re2') as new (p: string, f?: string) => { exec(s: string): unknown[] | null };
    const atom = fc.constantFrom('a', '\\(', '[(]', '[)]', '\\)', '[^]]', '.', '\\d');
    const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
      p: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(tie('p'), tie('p')).map(([x, y]) => x + y),
        tie('p').map((x) => `(${x})`),
        tie('p').map((x) => `(?:${x})`),
        tie('p').map((x) => `(?P<g>${x})?`),
      ),
    })).p;
    fc.assert(
      fc.property(pattern, (p) => {
        let re;
        try {
          re = new RE2(`${p}|z`);
        } catch {
          return; // duplicate group names etc.: not a pattern the loader would accept either
        }
        const m = re.exec('z');
        expect(countCaptureGroups(p)).toBe(m!.length - 1);
      }),
      { numRuns: 300 },
    );
  });

  it('the loader rejects a secretGroup the pattern does not have', () => {
    const p = ruleFile("    keywords: [code]\n    pattern: 'code (?:[0-9]{6})'\n    secretGroup: 1\n");
    expect(() => engineFor(p)).toThrow(
      /rule 'my-code': key 'secretGroup' is 1 but the pattern has 0 capture group/,
    );
  });
});

describe('context', () => {
  const base = "    anchor: digits\n    pattern: '(?:^|[^0-9])([0-9]{8})(?:$|[^0-9])'\n";

  it('required words must start a word (no `tin` inside `waiting`)', () => {
    const e = engineFor(ruleFile(`${base}    context: { words: [tin], window: 30 }\n`));
    expect(e.scanText('TIN: 48213377')).toHaveLength(1);
    expect(e.scanText('waiting 48213377')).toEqual([]);
    expect(e.scanText('my_tin 48213377')).toEqual([]);
  });

  it('required: false lets a nearby word stand in for minEntropy (a boost), and is not a gate', () => {
    const e = engineFor(
      ruleFile(`${base}    minEntropy: 2.8\n    context: { words: [code], window: 30, required: false }\n`),
    );
    expect(e.scanText('ref 11112222')).toEqual([]); // low entropy, no context
    expect(e.scanText('code 11112222')).toHaveLength(1); // low entropy, boosted by context
    expect(e.scanText('ref 19283746')).toHaveLength(1); // high entropy, no context needed
  });

  it('exclude drops a match with an exclusion word just before it', () => {
    const e = engineFor(ruleFile(`${base}    context: { exclude: [build], window: 12 }\n`));
    expect(e.scanText('build 19283746')).toEqual([]);
    expect(e.scanText('19283746 build')).toHaveLength(1); // only before the match
    expect(e.scanText('build finished long ago; 19283746')).toHaveLength(1); // outside the window
  });

  it('rejects context without words or exclude, and required: true without words', () => {
    expect(() => engineFor(ruleFile(`${base}    context: { window: 12 }\n`))).toThrow(
      /context needs words or exclude/,
    );
    expect(() => engineFor(ruleFile(`${base}    context: { exclude: [x], required: true }\n`))).toThrow(
      /required: true needs words/,
    );
  });
});

describe('not-url-userinfo', () => {
  const at = (text: string, secret: string): boolean => {
    const s = text.indexOf(secret);
    return notUrlUserinfo(secret, text, s, s + secret.length);
  };
  it.each([
    ['postgres://app:pw9@db.acme.io/x', 'pw9@db.acme.io', false],
    ['https://deploy@git.acme.io/a.git', 'deploy@git.acme.io', false],
    ['git@github.com:acme/app.git', 'git@github.com', false],
    ['mailto:jane@acme.io', 'jane@acme.io', true],
    ['mail jane@acme.io: she replied', 'jane@acme.io', true],
    ['Email:jane@acme.io', 'jane@acme.io', true],
    ['a/jane@acme.io', 'jane@acme.io', true],
  ])('%s', (text, secret, ok) => expect(at(text, secret)).toBe(ok));

  it('the email rule keeps every other email in text with URLs around it', () => {
    const e = ScanEngine.create({
      includeBuiltin: false,
      ruleFiles: [STARTER],
      fingerprintKey: KEY,
      regexEngine: 're2-wasm',
    });
    fc.assert(
      fc.property(
        fc.constantFrom('postgres://u:', 'https://', 'mongodb+srv://r:', 'x ', '\n'),
        fc.stringMatching(/^[a-z]{3,10}$/),
        (prefix, local) => {
          const text = `${prefix}${local}@mail.acme-corp.io and ${local}.x@acme-corp.io`;
          const emails = e
            .scanText(text)
            .filter((f) => f.ruleId === 'email')
            .map((f) => text.slice(f.start, f.end));
          expect(emails).toContain(`${local}.x@acme-corp.io`);
          expect(emails.includes(`${local}@mail.acme-corp.io`)).toBe(prefix === 'x ' || prefix === '\n');
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('flood protection', () => {
  const e = ScanEngine.create({
    includeBuiltin: false,
    ruleFiles: [STARTER],
    fingerprintKey: KEY,
    regexEngine: 're2-wasm',
    maxFindingsPerText: 50,
  });
  const flood = Array.from({ length: 10_000 }, (_, i) => `u${i}@acme-corp.io`).join(' ');

  it('caps findings per text and flags the scan', () => {
    const f = e.scanText(flood);
    expect(f).toHaveLength(50);
    expect(e.lastScanCapped).toBe(true);
    e.scanText('mail a@acme-corp.io');
    expect(e.lastScanCapped).toBe(false);
  });

  it('fails the record closed (quarantine code) when a text hits the cap', () => {
    const r = e.scanRecord({
      source: 'chat',
      texts: [
        { path: 'value.text', text: 'ok' },
        { path: 'value.body', text: flood },
      ],
    });
    expect(r).toEqual({ ok: false, code: FINDINGS_CAPPED, message: 'more than 50 findings in value.body' });
    const fine = e.scanRecord({
      source: 'chat',
      texts: [{ path: 'value.text', text: 'a@acme-corp.io b@acme-corp.io' }],
    });
    expect(fine.ok).toBe(true);
  });

  it('rejects a bad cap', () => {
    expect(() =>
      ScanEngine.create({
        includeBuiltin: false,
        ruleFiles: [STARTER],
        fingerprintKey: KEY,
        maxFindingsPerText: 0,
      }),
    ).toThrow(/maxFindingsPerText/);
  });
});

describe('shadow mode', () => {
  // Shadow per rule (email) and per source (credit-card on chat only); verdict via the pipeline's decide().
  const e = ScanEngine.create({
    includeBuiltin: false,
    ruleFiles: [STARTER],
    fingerprintKey: KEY,
    overrides: {
      rules: { email: { shadow: true } },
      sources: { chat: { 'credit-card': { shadow: true } }, telemetry: { email: { shadow: false } } },
    },
  });
  const verdictOf = (text: string, source: string): { verdict: string; findings: number; shadow: number } => {
    const r = e.scanRecord({ source, texts: [{ path: 'value.text', text }] });
    if (!r.ok) throw new Error(r.code);
    const d = decide({ texts: [{ path: 'value.text', text }], redactable: [true], findings: r.findings });
    return {
      verdict: d.verdict,
      findings: d.findings.length,
      shadow: d.findings.filter((f) => f.shadow).length,
    };
  };

  it('a shadow rule is found and audited but leaves the verdict clean', () => {
    expect(verdictOf('mail dana@acme-corp.io', 'chat')).toEqual({ verdict: 'clean', findings: 1, shadow: 1 });
    expect(verdictOf('mail dana@acme-corp.io', 'telemetry')).toEqual({
      verdict: 'redacted',
      findings: 1,
      shadow: 0,
    });
  });

  it('per-source shadow only affects that source', () => {
    expect(verdictOf(`card ${CARD}`, 'chat')).toEqual({ verdict: 'clean', findings: 1, shadow: 1 });
    expect(verdictOf(`card ${CARD}`, 'telemetry')).toEqual({ verdict: 'redacted', findings: 1, shadow: 0 });
    expect(verdictOf(`card ${CARD}`, 'other')).toEqual({ verdict: 'redacted', findings: 1, shadow: 0 });
  });

  it('a shadow rule is still reported where a live rule covers the same span', () => {
    const key =
      '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';
    const text = `STRIPE_SECRET_KEY=${key}`;
    const live = ScanEngine.create({ fingerprintKey: KEY }).scanText(text);
    const shadowed = ScanEngine.create({
      fingerprintKey: KEY,
      overrides: { rules: { 'stripe-secret-key': { shadow: true } } },
    }).scanText(text);
    expect(live.map((f) => [f.ruleId, f.shadow])).toEqual([['stripe-secret-key', false]]);
    // Live: the generic assignment rule (no longer hidden behind stripe's) keeps the verdict.
    expect(shadowed.filter((f) => f.shadow).map((f) => f.ruleId)).toEqual(['stripe-secret-key']);
    expect(shadowed.filter((f) => !f.shadow).length).toBeGreaterThan(0);
  });

  it('a shadow finding next to a live one: verdict follows the live one', () => {
    expect(verdictOf(`card ${CARD} mail dana@acme-corp.io`, 'chat').verdict).toBe('clean');
    expect(verdictOf(`card ${CARD} mail dana@acme-corp.io`, 'telemetry')).toEqual({
      verdict: 'redacted',
      findings: 2,
      shadow: 0,
    });
  });
});

describe('minUpper (entropy / base64 anchors)', () => {
  // Deliberately case-insensitive, so only the pre-check can explain a lower-case token not matching.
  const body = (minUpper: string) =>
    `    anchor: entropy\n    caseInsensitive: true\n    pattern: '\\b([a-z]{6}\\d{10})\\b'\n    maxLength: 16\n${minUpper}`;

  it('a token run with fewer capitals is not handed to RE2; one with enough still matches', () => {
    const withCheck = engineFor(ruleFile(body('    minUpper: 1\n')));
    const without = engineFor(ruleFile(body('')));
    expect(without.scanText('id abcdef0123456789 ok').map((f) => f.ruleId)).toEqual(['my-code']);
    expect(withCheck.scanText('id abcdef0123456789 ok')).toEqual([]);
    expect(withCheck.scanText('id Abcdef0123456789 ok').map((f) => f.ruleId)).toEqual(['my-code']);
  });

  it('needs a token-run anchor', () => {
    expect(() =>
      engineFor(ruleFile(`    anchor: digits\n    pattern: '(\\d{9})'\n    minUpper: 2\n`)),
    ).toThrow(/minUpper needs anchor: entropy or base64/);
  });

  it('the built-in structural ids still match, a lower-case UUID costs them no RE2 call', () => {
    const e = ScanEngine.create({ fingerprintKey: KEY });
    const ids = (t: string) => e.scanText(t).map((f) => f.ruleId);
    expect(ids('codice fiscale RSSMRA85T10A562S')).toContain('italy-codice-fiscale');
    expect(ids('CURP: GODE561231HDFRRN09')).toContain('mexico-curp');
    expect(ids('licence MORGA753116SM9IJ')).toContain('uk-driving-licence-number');
    expect(ids('57b0ad1f-14c9-4cbc-a2ac-e803357b290c')).toEqual([]);
  });
});

describe('hex identifiers', () => {
  const full = ScanEngine.create({ fingerprintKey: KEY });
  // The e2e run that found it: a random UUID read as a routing number (context word `aba` in
  // `-aba5-`, nine digits starting 0-3 in the last group).
  const uuid = '1a2b3c4d-aba5-4e6f-8a7b-c012345678de';

  it('a UUID is not a routing number, and a real one next to it still is', () => {
    expect(full.scanText(`request ${uuid} done`)).toEqual([]);
    const f = full.scanText(`request ${uuid}, ABA routing 021000021`);
    expect(f.map((x) => x.ruleId)).toEqual(['us-bank-routing-number']);
    expect(f[0]!.start).toBe(`request ${uuid}, ABA routing `.length);
  });

  it('a word inside a hex identifier is not context; the same word on its own is', () => {
    const e = engineFor(
      ruleFile(
        "    anchor: digits\n    pattern: '(?:^|[^0-9])([0-3][0-9]{8})(?:$|[^0-9])'\n    context: { words: [aba], window: 40 }\n",
      ),
    );
    expect(e.scanText('trace 0fabcdef-aba5-4e6f-8a7b-1c2d3e4f5a6b then 021000021')).toEqual([]);
    expect(e.scanText('trace deadbeefaba5cafe0123 then 021000021')).toEqual([]);
    expect(e.scanText('aba 021000021')).toHaveLength(1);
  });

  it('no built-in number rule fires inside random UUIDs and hashes (property)', () => {
    const hexString = (n: number) =>
      fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const id = fc.oneof(fc.uuid(), hexString(32), hexString(40), hexString(64));
    fc.assert(
      fc.property(fc.array(id, { minLength: 1, maxLength: 6 }), (ids) => {
        // Context words for the number rules are around, so only the identifier check stops them.
        const text = `routing aba account ssn phone tel: ${ids.join(' ')}`;
        const found = full.scanText(text).filter((f) => f.category === 'pii');
        expect(found.map((f) => f.ruleId)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('private key blocks of any length', () => {
  const full = ScanEngine.create({ fingerprintKey: KEY });
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const body = (chars: number): string => {
    let s = '';
    for (let i = 0; s.length < chars; i++) {
      let line = '';
      for (let k = 0; k < 64; k++) line += b64[(i * 31 + k * 7 + ((i * k) % 13)) % 64];
      s += `${line}\n`;
    }
    return s;
  };
  const block = (label: string, chars: number, end = true): string =>
    `-----BEGIN ${label}-----\n${label.startsWith('PGP') ? 'Version: GnuPG v2\n\n' : ''}${body(chars)}${end ? `-----END ${label}-----` : ''}`;
  const verdict = (text: string) => {
    const f = full.scanText(text);
    return {
      kinds: [...new Set(f.map((x) => x.category))],
      verdict: decide({ texts: [{ path: 'value.text', text }], redactable: [true], findings: [f] }).verdict,
    };
  };

  it('a block that fits the full-block rule is found whole', () => {
    const k = block('PRIVATE KEY', 3000);
    const f = full.scanText(`key:\n${k}\nthanks`);
    expect(f.map((x) => [x.ruleId, x.start, x.end])).toEqual([['private-key-pem', 5, 5 + k.length]]);
  });

  it.each([
    ['RSA-8192 sized PKCS#1 (6.4 KB)', block('RSA PRIVATE KEY', 6400)],
    ['12 KB PKCS#8', block('PRIVATE KEY', 12000)],
    ['9 KB PGP block', block('PGP PRIVATE KEY BLOCK', 9000)],
    ['a block cut off before its END line', block('OPENSSH PRIVATE KEY', 900, false)],
  ])('%s quarantines the record', (_name, k) => {
    expect(verdict(`here it is\n${k}\nbye`)).toEqual({ kinds: ['private-key'], verdict: 'quarantined' });
  });

  it('a public key or a documentation placeholder does not', () => {
    expect(verdict(block('PUBLIC KEY', 400)).verdict).toBe('clean');
    expect(verdict('-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----').verdict).toBe('clean');
  });
});
