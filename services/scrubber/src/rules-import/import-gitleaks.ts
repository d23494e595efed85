import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { ErrorCodes, SluiceError } from '../errors';
import type { RegexEngine } from '../scan/regex-engine';
import { createRegexEngine, nativeRe2Available } from '../scan/regex-engine';
import { BUILTIN_RULES_DIR, listRuleFiles, loadRuleset, parseRuleFile } from '../scan/rules/loader';
import { RULES_FORMAT_VERSION } from '../scan/rules/schema';
import type { ImportReport } from './gitleaks-convert';
import { convertGitleaks } from './gitleaks-convert';
import { parseGitleaksConfig } from './gitleaks-config';

export interface ImportOptions {
  prefix?: string;
  maxLength?: number;
}

export interface ImportResult extends ImportReport {
  /** The Sluice rules file (YAML), already checked by the real loader. */
  yaml: string;
}

/** Reads a gitleaks config and returns a Sluice rules file plus what was skipped and why. */
export function importGitleaks(configPath: string, opts: ImportOptions = {}): ImportResult {
  let toml: string;
  try {
    toml = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `cannot read ${configPath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const name = basename(configPath);
  const cfg = parseGitleaksConfig(toml, name);
  // Compile on every engine a deployment may use: a pattern native RE2 takes but re2-wasm
  // rejects would break the fallback.
  const engines: RegexEngine[] = [createRegexEngine('re2-wasm')];
  if (nativeRe2Available()) engines.push(createRegexEngine('re2-native'));
  const taken = new Set<string>();
  for (const f of listRuleFiles(BUILTIN_RULES_DIR))
    for (const spec of parseRuleFile(f, readFileSync(f, 'utf8'))) taken.add(spec.id);
  const report = convertGitleaks(cfg, {
    engines,
    takenIds: taken,
    prefix: opts.prefix ?? '',
    maxLength: opts.maxLength ?? 512,
  });
  const header = [
    `# Imported by \`sluice rules import-gitleaks\` from ${name}${cfg.title !== undefined ? ` (${cfg.title})` : ''}.`,
    '# Imported rules have no samples, so they load with a warning: add true- and false-positive',
    '# samples (samples: { positive: [{text, secret}], negative: [...] }) before relying on them.',
    ...report.skipped.map((s) => `# skipped ${s.id}: ${s.reason}`),
  ].join('\n');
  const yaml = `${header}\n${stringify({ version: RULES_FORMAT_VERSION, rules: report.rules }, { lineWidth: 0 })}`;
  if (report.rules.length > 0) verify(yaml, engines[0]!);
  return { ...report, yaml };
}

/** The output must load with the real loader (schema, RE2, capture groups); a failure is a bug here. */
function verify(yaml: string, engine: RegexEngine): void {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-import-'));
  try {
    const p = join(dir, 'imported.yaml');
    writeFileSync(p, yaml);
    loadRuleset({ sources: [{ path: p, builtin: false }], engine });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
