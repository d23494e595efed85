import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ErrorCodes, SluiceError } from '../../errors';
import type { RegexEngine } from '../regex-engine';
import { Anchor } from '../prefilter/anchors';
import { VALIDATORS } from '../validators/registry';
import type { CompiledRule } from './compiled-rule';
import { countCaptureGroups } from './capture-groups';
import type { ParsedOverrides, RuleOverrides, RuleSpec } from './schema';
import { overridesSchema, RULES_FORMAT_VERSION, ruleFileSchema, ruleSchema } from './schema';

/** services/scrubber/rules/builtin, from src/scan/rules or dist/scan/rules. */
export const BUILTIN_RULES_DIR = resolve(__dirname, '../../../rules/builtin');

export interface RuleSource {
  path: string;
  /** Built-in rules must carry positive and negative samples (STYLE.md habit 6). */
  builtin: boolean;
}

export interface LoadedRuleset {
  rules: CompiledRule[];
  /** e.g. `rs-1a2b3c4d`: hash of the format version, every file's name + content, overrides. */
  version: string;
  overrides: ParsedOverrides;
  /** Non-fatal problems (user rules without samples); returned, never logged here. */
  warnings: string[];
}

/** *.yaml / *.yml files of a directory, sorted so the ruleset order is stable. */
export function listRuleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

function invalid(message: string, hint?: string): SluiceError {
  return new SluiceError(ErrorCodes.RULES_INVALID, message, hint !== undefined ? { hint } : {});
}

function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .map((i) => {
      const key = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
      if (i.code === 'unrecognized_keys')
        return `${prefix}: unknown key(s) ${i.keys.map((k) => `'${k}'`).join(', ')} at ${key}`;
      const got =
        'input' in i && i.input !== undefined ? ` (got ${JSON.stringify(i.input)?.slice(0, 60)})` : '';
      return `${prefix}: key '${key}': ${i.message}${got}`;
    })
    .join('; ');
}

/** Parse and validate one file into rule specs (no compilation). */
export function parseRuleFile(path: string, content: string): RuleSpec[] {
  const name = basename(path);
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (err) {
    throw invalid(`${name}: not valid YAML: ${(err as Error).message}`);
  }
  const file = ruleFileSchema.safeParse(doc, { reportInput: true });
  if (!file.success)
    throw invalid(
      formatIssues(file.error.issues, name),
      `expected { version: ${RULES_FORMAT_VERSION}, rules: [...] }`,
    );
  const specs: RuleSpec[] = [];
  const problems: string[] = [];
  file.data.rules.forEach((raw, i) => {
    const id =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
        ? (raw as { id: string }).id
        : `#${i}`;
    const r = ruleSchema.safeParse(raw, { reportInput: true });
    if (!r.success) problems.push(formatIssues(r.error.issues, `${name}: rule '${id}'`));
    else specs.push(r.data);
  });
  if (problems.length > 0) throw invalid(problems.join('; '));
  return specs;
}

function compileRule(spec: RuleSpec, index: number, src: RuleSource, engine: RegexEngine): CompiledRule {
  const name = basename(src.path);
  const groups = countCaptureGroups(spec.pattern);
  if (spec.secretGroup > groups) {
    // Without this check the rule loads and silently never finds anything (every match skipped).
    throw invalid(
      `${name}: rule '${spec.id}': key 'secretGroup' is ${spec.secretGroup} but the pattern has ${groups} capture group(s)`,
      'use 0 for the whole match or the number of the group that holds the secret',
    );
  }
  let pattern;
  try {
    pattern = engine.compile(spec.pattern, {
      caseInsensitive: spec.caseInsensitive,
      secretGroup: spec.secretGroup,
    });
  } catch (err) {
    if (err instanceof SluiceError) throw err; // the regex engine itself failed, not the pattern
    throw invalid(
      `${name}: rule '${spec.id}': key 'pattern' does not compile as RE2: ${(err as Error).message}`,
      'RE2 syntax: no backreferences or lookaround',
    );
  }
  const allowPatterns = spec.allowlist.patterns.map((p, i) => {
    try {
      return engine.compile(p, { caseInsensitive: false, secretGroup: 0 });
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw invalid(
        `${name}: rule '${spec.id}': key 'allowlist.patterns.${i}' does not compile as RE2: ${(err as Error).message}`,
      );
    }
  });
  return Object.freeze({
    index,
    id: spec.id,
    description: spec.description,
    category: spec.category,
    action: spec.action,
    label: spec.label,
    keywords: spec.keywords.map((k) => k.toLowerCase()),
    anchor: spec.anchor === null ? -1 : Anchor[spec.anchor],
    pattern,
    maxLength: spec.maxLength,
    windowPad: spec.maxLength + (spec.context === null ? 0 : spec.context.window),
    minEntropy: spec.minEntropy,
    minDigits: spec.minDigits ?? 0,
    minUpper: spec.minUpper ?? 0,
    luhnPrecheck: spec.anchor === 'digits' && spec.validators.includes('luhn'),
    runContains: spec.runContains,
    separated: spec.separated,
    generic: spec.generic ?? spec.id.startsWith('generic-'),
    validators: spec.validators.map((v) => VALIDATORS[v]!),
    allowPatterns,
    stopwords: spec.allowlist.stopwords.map((s) => s.toLowerCase()),
    context:
      spec.context === null
        ? null
        : {
            words: spec.context.words.map((w) => w.toLowerCase()),
            window: spec.context.window,
            required: spec.context.required,
            exclude: spec.context.exclude.map((w) => w.toLowerCase()),
          },
    shadow: spec.shadow,
    enabled: spec.enabled,
    file: src.path,
    builtin: src.builtin,
    spec,
  });
}

/** Stable JSON (sorted keys) so the ruleset version does not depend on key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface LoadOptions {
  sources: RuleSource[];
  engine: RegexEngine;
  overrides?: RuleOverrides | undefined;
  /** Rule specs made by the engine itself (e.g. internal domains), hashed into the version. */
  extraSpecs?: RuleSpec[];
}

/** Load, validate and compile a ruleset. Throws SluiceError RULES_INVALID naming file, rule and key. */
export function loadRuleset(opts: LoadOptions): LoadedRuleset {
  const hash = createHash('sha256');
  hash.update(`sluice-rules-v${RULES_FORMAT_VERSION}\0`);
  const rules: CompiledRule[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  const add = (spec: RuleSpec, src: RuleSource): void => {
    const name = basename(src.path);
    const prev = seen.get(spec.id);
    if (prev !== undefined)
      throw invalid(
        `${name}: rule '${spec.id}': key 'id': duplicate id (also in ${prev})`,
        'rule ids are unique across all files',
      );
    seen.set(spec.id, name);
    const pos = spec.samples?.positive.length ?? 0;
    const neg = spec.samples?.negative.length ?? 0;
    if (pos === 0 || neg === 0) {
      const msg = `${name}: rule '${spec.id}': key 'samples': needs at least one positive and one negative sample`;
      if (src.builtin) throw invalid(msg);
      warnings.push(msg);
    }
    rules.push(compileRule(spec, rules.length, src, opts.engine));
  };
  for (const src of opts.sources) {
    let content: string;
    try {
      content = readFileSync(src.path, 'utf8');
    } catch (err) {
      throw invalid(`${src.path}: cannot read rule file: ${(err as Error).message}`);
    }
    hash.update(`${basename(src.path)}\0${content}\0`);
    for (const spec of parseRuleFile(src.path, content)) add(spec, src);
  }
  for (const spec of opts.extraSpecs ?? []) {
    hash.update(`extra\0${stableJson(spec)}\0`);
    add(spec, { path: '(engine)', builtin: false });
  }
  const parsed = overridesSchema.safeParse(opts.overrides ?? {}, { reportInput: true });
  if (!parsed.success) throw invalid(formatIssues(parsed.error.issues, 'overrides'));
  const known = new Set(rules.map((r) => r.id));
  const unknownIn = (table: Record<string, unknown>, where: string): void => {
    for (const id of Object.keys(table))
      if (!known.has(id)) throw invalid(`overrides: ${where}: unknown rule id '${id}'`);
  };
  unknownIn(parsed.data.rules, 'rules');
  for (const [src, table] of Object.entries(parsed.data.sources)) unknownIn(table, `sources.${src}`);
  hash.update(`overrides\0${stableJson(parsed.data)}`);
  return { rules, version: `rs-${hash.digest('hex').slice(0, 8)}`, overrides: parsed.data, warnings };
}
