import { readdirSync } from 'node:fs';
import { ScanEngine } from '../../src/scan/engine';
import { BUILTIN_RULES_DIR } from '../../src/scan/rules/loader';
import { checkRuleSamples } from '../../src/scan/rules/sample-check';

// Generic: picks up every file in rules/builtin/, so the rules author's files are checked too.
const key = Buffer.alloc(32, 7);

describe('built-in rule samples', () => {
  // re2-wasm (the required engine and the fallback) explicitly: 'auto' would pick native re2 here.
  const engine = ScanEngine.create({ fingerprintKey: key, regexEngine: 're2-wasm' });

  it('loads every file in rules/builtin', () => {
    const files = readdirSync(BUILTIN_RULES_DIR).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    const used = new Set(engine.rules.map((r) => r.file.split('/').pop()));
    for (const f of files) expect(used.has(f)).toBe(true);
  });

  it('every rule has samples and every sample behaves (re2-wasm)', () => {
    const failures = checkRuleSamples(engine, true);
    expect(
      failures.map((f) => `${f.file.split('/').pop()} ${f.ruleId} ${f.kind}#${f.sample}: ${f.reason}`),
    ).toEqual([]);
  });

  it('samples also pass with re2-native when it is installed', () => {
    let native: ScanEngine;
    try {
      native = ScanEngine.create({ fingerprintKey: key, regexEngine: 're2-native' });
    } catch {
      return; // optional dependency not built here
    }
    expect(
      checkRuleSamples(native, true).map((f) => `${f.ruleId} ${f.kind}#${f.sample}: ${f.reason}`),
    ).toEqual([]);
  });
});
