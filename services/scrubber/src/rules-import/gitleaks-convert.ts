import { countCaptureGroups } from '../scan/rules/capture-groups';
import type { RegexEngine } from '../scan/regex-engine';
import type { GitleaksAllowlist, GitleaksConfig, GitleaksRule } from './gitleaks-config';

/** One Sluice rule as written to YAML (the rules format v1; no samples: loads with a warning). */
export interface ImportedRule {
  id: string;
  description: string;
  category: 'credential';
  action: 'quarantine';
  label: string;
  keywords: string[];
  pattern: string;
  secretGroup: number;
  maxLength: number;
  minEntropy?: number;
  allowlist?: { patterns: string[]; stopwords: string[] };
}

export interface ImportReport {
  rules: ImportedRule[];
  /** Rules not imported, with the reason (no pattern text beyond the rule id). */
  skipped: { id: string; reason: string }[];
  /** Parts of imported rules that were dropped or changed. */
  notes: { id: string; note: string }[];
}

export interface ConvertOptions {
  /** Every engine the rules must compile on (re2-wasm, and re2-native when it loads). */
  engines: readonly RegexEngine[];
  /** Ids that already exist (built-in rules): a clash gets this prefix. */
  takenIds: ReadonlySet<string>;
  prefix: string;
  maxLength: number;
}

/** `AWS Access_Token` -> `aws-access-token`. */
function kebab(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-') // fixed engine-internal pattern on the rule id, not a rule pattern
    .replace(/^-+|-+$/g, '');
}

function label(id: string): string {
  const l = id.toUpperCase().replace(/-/g, '_');
  return /^[A-Z]/.test(l) ? l : `X_${l}`;
}

/** Why `pattern` does not compile on some engine, or null. RE2 messages name the construct, e.g. `invalid perl operator: (?<`. */
function compileError(pattern: string, engines: readonly RegexEngine[]): string | null {
  for (const e of engines) {
    try {
      e.compile(pattern, { caseInsensitive: false, secretGroup: 0 });
    } catch (err) {
      return `${e.kind}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return null;
}

const ASCII_KEYWORD = /^[\x20-\x7e]{2,}$/;

/** Merge gitleaks allowlists into Sluice's (patterns on the secret, stopwords), noting what cannot be kept. */
function convertAllowlists(
  id: string,
  lists: readonly GitleaksAllowlist[],
  opts: ConvertOptions,
  notes: ImportReport['notes'],
): { patterns: string[]; stopwords: string[] } {
  const patterns: string[] = [];
  const stopwords: string[] = [];
  for (const a of lists) {
    if (a.paths.length > 0)
      notes.push({
        id,
        note: `allowlist paths ignored (${a.paths.length}): Sluice scans records, not files`,
      });
    if (a.commits.length > 0) notes.push({ id, note: `allowlist commits ignored (${a.commits.length})` });
    const kinds = [
      a.regexes.length > 0,
      a.stopwords.length > 0,
      a.paths.length > 0,
      a.commits.length > 0,
    ].filter(Boolean).length;
    if ((a.condition ?? 'OR').toUpperCase() === 'AND' && kinds > 1) {
      // Keeping half of an AND would allow more than the author meant: findings would be lost.
      notes.push({
        id,
        note: 'allowlist with condition AND over several criteria dropped (fail closed: more findings, not fewer)',
      });
      continue;
    }
    if (a.regexes.length > 0 && (a.regexTarget ?? 'secret') !== 'secret') {
      notes.push({
        id,
        note: `allowlist regexes with regexTarget '${a.regexTarget!}' dropped: Sluice allowlists test the secret`,
      });
    } else {
      for (const r of a.regexes) {
        const why = compileError(r, opts.engines);
        if (why === null) patterns.push(r);
        else notes.push({ id, note: `allowlist regex dropped, not RE2 (${why})` });
      }
    }
    for (const w of a.stopwords) if (w.length > 0) stopwords.push(w);
  }
  return { patterns, stopwords };
}

function convertRule(
  g: GitleaksRule,
  global: readonly GitleaksAllowlist[],
  opts: ConvertOptions,
  report: ImportReport,
  used: Set<string>,
): void {
  const raw = g.id;
  if (g.regex === undefined || g.regex === '') {
    report.skipped.push({
      id: raw,
      reason: g.path !== undefined ? 'path-only rule: Sluice scans record text, not file names' : 'no regex',
    });
    return;
  }
  let id = kebab(raw);
  if (id === '') {
    report.skipped.push({ id: raw, reason: 'id has no letters or digits' });
    return;
  }
  if (opts.prefix !== '') id = kebab(opts.prefix + id);
  if (opts.takenIds.has(id)) {
    const renamed = kebab(`gitleaks-${id}`);
    report.notes.push({ id: raw, note: `id '${id}' is a built-in rule: imported as '${renamed}'` });
    id = renamed;
  }
  if (used.has(id)) {
    report.skipped.push({ id: raw, reason: `duplicate id '${id}'` });
    return;
  }
  const why = compileError(g.regex, opts.engines);
  if (why !== null) {
    report.skipped.push({
      id: raw,
      reason: `regex is not RE2 (${why}); RE2 has no lookaround or backreferences`,
    });
    return;
  }
  const groups = countCaptureGroups(g.regex);
  // gitleaks: without secretGroup the first capture group (when there is one) holds the secret.
  const secretGroup = g.secretGroup ?? (groups > 0 ? 1 : 0);
  if (secretGroup > groups) {
    report.skipped.push({
      id: raw,
      reason: `secretGroup ${secretGroup} but the regex has ${groups} capture group(s)`,
    });
    return;
  }
  const keywords = [...new Set(g.keywords.map((k) => k.toLowerCase()))];
  const usable = keywords.filter((k) => ASCII_KEYWORD.test(k));
  if (usable.length < keywords.length)
    report.notes.push({
      id: raw,
      note: `${keywords.length - usable.length} keyword(s) dropped: the prefilter needs printable ASCII of 2+ chars`,
    });
  if (usable.length === 0) {
    // gitleaks runs a keyword-less rule on everything; Sluice needs a keyword or an anchor to select
    // a rule, and guessing an anchor could silently miss matches.
    report.skipped.push({
      id: raw,
      reason:
        'no usable keywords: add `keywords` to the gitleaks rule, or write a Sluice rule with an anchor',
    });
    return;
  }
  const lists = [...g.allowlists, ...(g.allowlist !== undefined ? [g.allowlist] : []), ...global];
  const allow = convertAllowlists(raw, lists, opts, report.notes);
  if (g.tags.length > 0) report.notes.push({ id: raw, note: 'tags ignored' });
  const rule: ImportedRule = {
    id,
    description: g.description ?? `Imported from gitleaks rule ${raw}`,
    category: 'credential',
    action: 'quarantine',
    label: label(id),
    keywords: usable,
    pattern: g.regex,
    secretGroup,
    maxLength: opts.maxLength,
  };
  if (g.entropy !== undefined && g.entropy > 0) rule.minEntropy = Math.min(8, g.entropy);
  if (allow.patterns.length > 0 || allow.stopwords.length > 0) rule.allowlist = allow;
  used.add(id);
  report.rules.push(rule);
}

/** Converts a parsed gitleaks config; never throws on a single bad rule (it is reported). */
export function convertGitleaks(cfg: GitleaksConfig, opts: ConvertOptions): ImportReport {
  const report: ImportReport = { rules: [], skipped: [], notes: [] };
  if (cfg.extend !== undefined)
    report.notes.push({
      id: '(config)',
      note: '[extend] ignored: import the base config too if you want its rules',
    });
  const global = [...cfg.allowlists, ...(cfg.allowlist !== undefined ? [cfg.allowlist] : [])];
  const used = new Set<string>();
  for (const r of cfg.rules) convertRule(r, global, opts, report, used);
  return report;
}
