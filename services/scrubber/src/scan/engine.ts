import { ErrorCodes, SluiceError, describeError } from '../errors';
import type { RawMatch } from './confirm';
import { CleanMemo, MemoAnswer } from './clean-memo';
import { ContextWords } from './context-words';
import { confirmWindow, mergeWindows } from './confirm';
import type { EncodedRun } from './decode';
import { base64Runs, DECODE_CHUNK, decodeChunk, MIN_ENCODED_RUN, runAround } from './decode';
import { shannonEntropy } from './entropy';
import { fingerprint, maskedPreview } from './fingerprint';
import type { Normalised } from './normalise';
import { normalise, toOriginalSpan } from './normalise';
import { Anchor, ANCHOR_COUNT } from './prefilter/anchors';
import { DigitRun } from './prefilter/digit-run';
import { Prefilter } from './prefilter/prefilter';
import type { RegexEngineChoice } from './regex-engine';
import { createRegexEngine } from './regex-engine';
import type { CompiledRule } from './rules/compiled-rule';
import { internalDomainSpec } from './rules/internal-domains';
import type { RuleSource } from './rules/loader';
import { BUILTIN_RULES_DIR, listRuleFiles, loadRuleset } from './rules/loader';
import type { ParsedOverrides, RuleOverrides } from './rules/schema';
import { SEAM_JOINS } from './types';
import type { Action, Finding, RecordScanRequest, RecordScanResult, ScanText } from './types';
import { insideHexIdentifier } from './validators/hex-identifier';

export interface ScanEngineOptions {
  /** Directories of user rule files (*.yaml, *.yml). Samples optional (warning). */
  ruleDirs?: string[];
  /** Individual user rule files. */
  ruleFiles?: string[];
  /** Load services/scrubber/rules/builtin/*.yaml (default true). */
  includeBuiltin?: boolean;
  overrides?: RuleOverrides;
  /** Key for finding fingerprints (HMAC-SHA-256); at least 16 bytes. */
  fingerprintKey: Buffer;
  regexEngine?: RegexEngineChoice;
  /** How many levels of encoding to look through (0 = no decoding). Default 2, max 2. */
  decodeDepth?: number;
  /** Hostnames under these domains are reported by the `internal-domain` rule (confidential, redact). */
  internalDomains?: string[];
  /**
   * Findings kept per text (default 1000). A text with more is a flood (a dump, an attack on the
   * audit trail): its findings are cut to this many and scanRecord fails the record closed with
   * FINDINGS_CAPPED, so the pipeline quarantines it instead of redacting a partial list.
   */
  maxFindingsPerText?: number;
  /**
   * Digit-run pre-checks before RE2 (minDigits, runContains, Luhn; default true). They are exact;
   * `false` exists so tests and benchmarks can compare against the unfiltered path.
   */
  digitPrechecks?: boolean;
  /**
   * Short texts (up to 64 UTF-16 units) found clean are remembered, this many per generation and
   * source policy (two generations; default 4096, 0 = off), and not scanned again. See CleanMemo.
   */
  cleanMemoEntries?: number;
}

/** scanRecord failure code when a text hits maxFindingsPerText (the pipeline quarantines on it). */
export const FINDINGS_CAPPED = 'SLUICE_FINDINGS_CAPPED';
const DEFAULT_MAX_FINDINGS = 1000;

/** Effective per-rule action / shadow / enabled for one source. */
interface SourcePolicy {
  action: Action[];
  shadow: Uint8Array;
  enabled: Uint8Array;
  /** Short texts this policy found clean (null: memo off). */
  memo: CleanMemo | null;
}

/** A match that passed every filter, in the coordinates of the text it was found in. */
interface Candidate {
  rule: CompiledRule;
  start: number;
  end: number;
  secret: string;
}

const ACTION_RANK = { redact: 1, quarantine: 2 } as const;
const MAX_DECODE_DEPTH = 2;
/** Total encoded chars decoded per scanText call, across all levels: bounds adversarial input. */
const DECODE_BUDGET = 8 * 1024 * 1024;
/** Texts up to this many UTF-16 units are lower-cased once per scan for context-word checks. */
const LOWER_ONCE_MAX = 64 * 1024;
/** Candidates kept per text before dedupe, as a multiple of maxFindingsPerText. */
const CANDIDATE_FACTOR = 4;
const EMPTY: Finding[] = Object.freeze([] as Finding[]) as Finding[];
const DEFAULT_MEMO_ENTRIES = 4096;
/** Longest text the clean memo keeps: ids, enums, header values; message bodies rarely repeat. */
const MEMO_MAX_CHARS = 64;

/**
 * In-thread detection engine: normalise -> prefilter (one pass) -> RE2 confirm on windows ->
 * validators / entropy / allowlists / context -> decode and recurse -> dedupe -> findings.
 * `ScanEngine.create` is synchronous: it reads rule files and compiles patterns (re2-wasm
 * instantiates synchronously), so a worker can build one at start-up without awaiting.
 * Not re-entrant: one engine per thread (it reuses scratch buffers).
 */
export class ScanEngine {
  readonly rulesetVersion: string;
  readonly rules: readonly CompiledRule[];
  /** Non-fatal load problems (user rules without samples). */
  readonly warnings: readonly string[];
  private readonly key: Buffer;
  private readonly decodeDepth: number;
  private readonly prefilter: Prefilter;
  /** Rules selected by each keyword id / anchor id. */
  private readonly keywordRules: CompiledRule[][];
  private readonly anchorRules: CompiledRule[][];
  private readonly overrides: ParsedOverrides;
  private readonly policies = new Map<string, SourcePolicy>();
  private readonly defaultPolicy: SourcePolicy;
  private decodeBudget = 0;
  private readonly digitRun = new DigitRun();
  private readonly digitPrechecks: boolean;
  private readonly contextWords: ContextWords;
  private readonly ruleWindows: number[][];
  private readonly touched: CompiledRule[] = [];
  private lower: string | null = null;
  /** The text of the running confirm call, for `lowerLazily` (no closure per call). */
  private confirmText = '';
  /** Its lower-case form, computed only if a non-ASCII context word has to be looked up. */
  private readonly lowerLazily = (): string => this.lowerOf(this.confirmText);
  private readonly maxFindings: number;
  private readonly memoEntries: number;
  /** Clean-memo lookups and hits since the engine was built (benchmarks and tests read them). */
  readonly memoStats = { lookups: 0, hits: 0 };
  /** Seam requests since the engine was built, and how many were settled by the one pass. */
  readonly seamStats = { seams: 0, clean: 0 };
  /** True when the last scanText / scanTextAll call hit maxFindingsPerText. */
  lastScanCapped = false;

  private constructor(opts: ScanEngineOptions) {
    if (!Buffer.isBuffer(opts.fingerprintKey) || opts.fingerprintKey.length < 16) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        'fingerprintKey must be a Buffer of at least 16 bytes',
        { hint: 'set the fingerprint key secret' },
      );
    }
    this.key = opts.fingerprintKey;
    const depth = opts.decodeDepth ?? MAX_DECODE_DEPTH;
    if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DECODE_DEPTH) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `decodeDepth ${String(depth)} is out of range`, {
        hint: `an integer 0..${MAX_DECODE_DEPTH}`,
      });
    }
    this.decodeDepth = depth;
    const cap = opts.maxFindingsPerText ?? DEFAULT_MAX_FINDINGS;
    if (!Number.isInteger(cap) || cap < 1) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `maxFindingsPerText ${String(cap)} is out of range`, {
        hint: 'a positive integer',
      });
    }
    this.maxFindings = cap;
    this.digitPrechecks = opts.digitPrechecks ?? true;
    const memo = opts.cleanMemoEntries ?? DEFAULT_MEMO_ENTRIES;
    if (!Number.isInteger(memo) || memo < 0) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `cleanMemoEntries ${String(memo)} is out of range`, {
        hint: 'a non-negative integer (0 turns the memo off)',
      });
    }
    this.memoEntries = memo;
    const sources: RuleSource[] = [];
    if (opts.includeBuiltin ?? true)
      for (const p of listRuleFiles(BUILTIN_RULES_DIR)) sources.push({ path: p, builtin: true });
    for (const dir of opts.ruleDirs ?? [])
      for (const p of listRuleFiles(dir)) sources.push({ path: p, builtin: false });
    for (const p of opts.ruleFiles ?? []) sources.push({ path: p, builtin: false });
    const domains = opts.internalDomains ?? [];
    const loaded = loadRuleset({
      sources,
      engine: createRegexEngine(opts.regexEngine ?? 'auto'),
      overrides: opts.overrides,
      extraSpecs: domains.length > 0 ? [internalDomainSpec(domains)] : [],
    });
    this.rules = Object.freeze(loaded.rules);
    this.rulesetVersion = loaded.version;
    this.warnings = Object.freeze(loaded.warnings);
    this.overrides = loaded.overrides;
    this.defaultPolicy = this.buildPolicy(undefined);
    this.contextWords = new ContextWords(this.rules);
    this.ruleWindows = this.rules.map(() => []);

    // A rule enters the prefilter if it is enabled for the default policy or for any source.
    const live = new Uint8Array(this.rules.length);
    for (const r of this.rules) if (this.defaultPolicy.enabled[r.index] === 1) live[r.index] = 1;
    for (const table of Object.values(this.overrides.sources)) {
      for (const [id, o] of Object.entries(table))
        if (o.enabled === true) live[this.rules.find((r) => r.id === id)!.index] = 1;
    }
    const keywordIds = new Map<string, number>();
    this.keywordRules = [];
    this.anchorRules = Array.from({ length: ANCHOR_COUNT }, () => []);
    for (const r of this.rules) {
      if (live[r.index] !== 1) continue;
      for (const kw of r.keywords) {
        let id = keywordIds.get(kw);
        if (id === undefined) {
          id = keywordIds.size;
          keywordIds.set(kw, id);
          this.keywordRules.push([]);
        }
        if (!this.keywordRules[id]!.includes(r)) this.keywordRules[id]!.push(r);
      }
      if (r.anchor >= 0) this.anchorRules[r.anchor]!.push(r);
    }
    const anchors: number[] = [];
    for (let a = 0; a < ANCHOR_COUNT; a++) if (this.anchorRules[a]!.length > 0) anchors.push(a);
    if (this.decodeDepth > 0)
      for (const a of [Anchor.base64, Anchor.hex, Anchor.percent, Anchor.escape])
        if (!anchors.includes(a)) anchors.push(a);
    this.prefilter = new Prefilter([...keywordIds.keys()], anchors);
  }

  /** Synchronous; throws SluiceError RULES_INVALID / CONFIG_INVALID. */
  static create(opts: ScanEngineOptions): ScanEngine {
    return new ScanEngine(opts);
  }

  private buildPolicy(source: string | undefined): SourcePolicy {
    const n = this.rules.length;
    const p: SourcePolicy = {
      action: new Array<Action>(n),
      shadow: new Uint8Array(n),
      enabled: new Uint8Array(n),
      memo: this.memoEntries > 0 ? new CleanMemo(this.memoEntries, MEMO_MAX_CHARS) : null,
    };
    const perSource = source !== undefined ? this.overrides.sources[source] : undefined;
    for (const r of this.rules) {
      const g = this.overrides.rules[r.id];
      const s = perSource?.[r.id];
      p.action[r.index] = s?.action ?? g?.action ?? r.action;
      p.shadow[r.index] = (s?.shadow ?? g?.shadow ?? r.shadow) ? 1 : 0;
      p.enabled[r.index] = (s?.enabled ?? g?.enabled ?? r.enabled) ? 1 : 0;
    }
    return p;
  }

  private policy(source: string | undefined): SourcePolicy {
    if (source === undefined || this.overrides.sources[source] === undefined) return this.defaultPolicy;
    let p = this.policies.get(source);
    if (p === undefined) {
      p = this.buildPolicy(source);
      this.policies.set(source, p);
    }
    return p;
  }

  /**
   * Findings in `text`, offsets into `text` as given. Returns a shared frozen empty array when
   * nothing is found (the clean path allocates nothing); do not mutate the result.
   */
  scanText(text: string, source?: string): Finding[] {
    const policy = this.policy(source);
    this.lastScanCapped = false;
    const memo = text.length <= MEMO_MAX_CHARS ? policy.memo : null;
    let seen = false;
    if (memo !== null) {
      this.memoStats.lookups++;
      const answer = memo.check(text);
      if (answer === MemoAnswer.clean) {
        this.memoStats.hits++;
        return EMPTY;
      }
      seen = answer === MemoAnswer.seen;
    }
    this.decodeBudget = DECODE_BUDGET;
    const cands = this.scanLevel(text, policy, 0);
    if (cands === null) {
      // Deterministic for a given text and policy (nothing carries over between texts), and a
      // text this short never reaches the decode budget, so clean now is clean next time.
      if (seen) memo!.keep(text);
      return EMPTY;
    }
    return this.toFindings(this.cap(dedupe(this.cap(cands, CANDIDATE_FACTOR), policy), 1), policy);
  }

  /**
   * Flood protection: keep at most factor * maxFindings entries. Candidates are cut before
   * dedupe (factor > 1, since rules overlap) so its quadratic worst case stays bounded.
   */
  private cap(cands: Candidate[], factor: number): Candidate[] {
    const limit = this.maxFindings * factor;
    if (cands.length <= limit) return cands;
    this.lastScanCapped = true;
    cands.length = limit;
    return cands;
  }

  /**
   * Every finding of every rule, before cross-rule dedupe (the same span may appear once per
   * rule). For rule samples, the eval harness and debugging; the pipeline uses scanText.
   */
  scanTextAll(text: string, source?: string): Finding[] {
    const policy = this.policy(source);
    this.decodeBudget = DECODE_BUDGET;
    this.lastScanCapped = false;
    const cands = this.scanLevel(text, policy, 0);
    return cands === null ? [] : this.toFindings(this.cap(cands, CANDIDATE_FACTOR), policy);
  }

  /** Scans every text of a record. Never throws: failures come back as `{ ok: false }`. */
  scanRecord(req: RecordScanRequest): RecordScanResult {
    const t0 = process.hrtime.bigint();
    try {
      const texts = req.seamAt === undefined ? req.texts : this.seamTexts(req, req.seamAt);
      if (texts === null)
        return { ok: true, findings: [EMPTY, EMPTY], scanNanos: Number(process.hrtime.bigint() - t0) };
      const findings: Finding[][] = [];
      for (const t of texts) {
        findings.push(this.scanText(t.text, req.source));
        // Fail closed: a partial finding list must not drive a redaction (the pipeline quarantines).
        if (this.lastScanCapped)
          return {
            ok: false,
            code: FINDINGS_CAPPED,
            message: `more than ${this.maxFindings} findings in ${t.path}`,
          };
      }
      return { ok: true, findings, scanNanos: Number(process.hrtime.bigint() - t0) };
    } catch (err) {
      const d = describeError(err);
      const code = err instanceof SluiceError ? d.code : ErrorCodes.SCAN_FAILED;
      // Messages from the engine never carry payload; a foreign error's message might, so drop it.
      return { ok: false, code, message: err instanceof SluiceError ? d.message : `scan failed: ${d.code}` };
    }
  }

  /**
   * The two joins of a seam request (line break first), or null when neither can hold a finding:
   * then the line-break join is never built nor scanned (chat seams are most of what a chat
   * record costs the workers, and all but a few of them are clean).
   */
  private seamTexts(req: RecordScanRequest, at: number): ScanText[] | null {
    const t = req.texts[0];
    if (req.texts.length !== 1 || t === undefined || !Number.isInteger(at) || at < 0 || at > t.text.length)
      throw new SluiceError(ErrorCodes.SCAN_FAILED, 'a seam request needs one text and a seamAt inside it');
    this.seamStats.seams++;
    if (this.seamIsClean(t.text, at)) {
      this.seamStats.clean++;
      return null;
    }
    return [{ path: t.path, text: t.text.slice(0, at) + SEAM_JOINS[0] + t.text.slice(at) }, t];
  }

  /**
   * True when neither join of a seam (parts P and C; `joined` = PC, C starting at `at`) can hold a
   * finding, from one prefilter pass over PC. Every finding comes from a prefilter hit, so a join
   * without hits is clean. A line break ends every keyword (the rule loader takes printable ASCII
   * only) and every run the anchors track, so each hit of P + '\n' + C lies inside P or inside C.
   * The same characters are in PC, where such a hit stays a hit: keywords are still there, and
   * runs can only grow (their thresholds are minimums) or keep the characters and lookaheads they
   * had. So no hit in PC means none in either join. Normalisation keeps the two joins comparable
   * only when C does not start with a combining mark (it would compose with P's last character in
   * PC alone), so anything from U+0300 up at the junction takes the full path.
   */
  private seamIsClean(joined: string, at: number): boolean {
    if (at < joined.length && joined.charCodeAt(at) >= 0x300) return false;
    return this.prefilter.scan(normalise(joined).text) === 0;
  }

  /** Candidates in `text` (coordinates of `text`), or null when none. */
  private scanLevel(text: string, policy: SourcePolicy, depth: number): Candidate[] | null {
    const norm = normalise(text);
    const pf = this.prefilter;
    const count = pf.scan(norm.text);
    if (count === 0) return null;
    // Copy: recursion into decoded text reuses the prefilter's buffer.
    const hits = pf.hits.slice(0, count * 3);
    const matches = this.confirm(norm.text, hits, count, policy);
    let cands: Candidate[] | null = null;
    for (const m of matches) {
      const secret = norm.text.slice(m.start, m.end);
      if (!passesFilters(m, secret, norm.text)) continue;
      const [s, e] = toOriginalSpan(norm, m.start, m.end);
      (cands ??= []).push({ rule: m.rule, start: s, end: e, secret });
    }
    if (depth < this.decodeDepth) cands = this.scanDecoded(norm, hits, count, policy, depth, cands);
    return cands;
  }

  private confirm(text: string, hits: Int32Array, count: number, policy: SourcePolicy): RawMatch[] {
    const n = text.length;
    // Per-rule window lists are scratch arrays indexed by rule (no Map or arrays per call: this
    // loop runs for every hit of every text). `touched` lists the rules with windows, in order.
    const windows = this.ruleWindows;
    const touched = this.touched;
    // Leftovers of a call that threw (an RE2 failure fails the record, the engine lives on).
    for (const r of touched) windows[r.index]!.length = 0;
    touched.length = 0;
    this.digitRun.reset();
    this.contextWords.reset();
    this.lower = null;
    this.confirmText = text;
    for (let h = 0; h < count; h++) {
      const kind = hits[3 * h]!;
      const s = hits[3 * h + 1]!;
      const e = hits[3 * h + 2]!;
      const rules = kind >= 0 ? this.keywordRules[kind]! : this.anchorRules[-kind - 1]!;
      const digitHit = this.digitPrechecks && kind === -(Anchor.digits + 1);
      // Facts about the hit that several of its rules ask for, read once per hit (-1: not yet):
      // a 36-char UUID ran the capitals count once per token rule, a timestamp the non-digit scan
      // once per separated number rule.
      let uppers = -1;
      let nonDigit = -1;
      for (const r of rules) {
        if (policy.enabled[r.index] !== 1) continue;
        // Cheapest first: each check is exact on its own, so their order only changes the cost.
        if (digitHit && r.separated) {
          if (nonDigit === -1) nonDigit = hasNonDigit(text, s, e) ? 1 : 0;
          if (nonDigit === 0) continue;
        }
        // A token run without enough capitals cannot hold the match (rule option minUpper).
        if (r.minUpper > 0 && kind < 0) {
          if (uppers === -1) uppers = countUpper(text, s, e);
          if (uppers < r.minUpper) continue;
        }
        // A rule whose required context words occur nowhere in the text cannot match. After the
        // text's one context pass this is a table read, and it settles 22 of a digit run's 31
        // built-in rules, so it comes before the digit-run checks (Luhn scans, literal search).
        if (
          r.context !== null &&
          r.context.required &&
          !this.contextWords.mayHaveContext(r, text, this.lowerLazily)
        )
          continue;
        if (digitHit) {
          // Exact pre-checks on the digit run (count, literal, Luhn) before paying for RE2: digit
          // anchors fire on every date, timestamp and numeric id.
          if (r.minDigits > 0 || r.luhnPrecheck) {
            this.digitRun.load(text, s, e);
            if (!this.digitRun.overflow && this.digitRun.count < r.minDigits) continue;
          }
          if (r.runContains !== null && !runHas(text, s, e, r.runContains)) continue;
          if (r.luhnPrecheck && !this.digitRun.luhnPossible(r.minDigits)) continue;
        }
        const w = windows[r.index]!;
        if (w.length === 0) touched.push(r);
        w.push(Math.max(0, s - r.windowPad), Math.min(n, e + r.windowPad));
      }
    }
    const out: RawMatch[] = [];
    for (const rule of touched) {
      const w = windows[rule.index]!;
      const pairs = mergeWindows(w);
      for (let i = 0; i < pairs; i++) {
        const ws = w[2 * i]!;
        const we = w[2 * i + 1]!;
        // ... and where none of them occurs near the window: checked with a substring search
        // before paying for an RE2 call (anchor-only rules would otherwise run on every number).
        if (rule.context !== null && rule.context.required) {
          const lower = this.lowerOf(text);
          if (!hasContextWord(lower, lower === text, ws, we, rule.context)) continue;
        }
        confirmWindow(rule, text, ws, we, out);
      }
      w.length = 0;
    }
    touched.length = 0;
    this.lower = null;
    this.confirmText = '';
    return out;
  }

  /**
   * `text` lower-cased once per confirm call, not once per rule and window (profiled: the
   * per-window toLowerCase was the top cost on log lines). Unicode case mapping can change the
   * length, and then offsets would not line up; big inputs are not copied (memory). In both cases
   * this returns `text` itself and callers lower-case their window.
   */
  private lowerOf(text: string): string {
    if (this.lower === null) {
      const l = text.length <= LOWER_ONCE_MAX ? text.toLowerCase() : text;
      this.lower = l.length === text.length ? l : text;
    }
    return this.lower;
  }

  /** Decode encoded runs found by the prefilter and scan them; findings cover the whole run. */
  private scanDecoded(
    norm: Normalised,
    hits: Int32Array,
    count: number,
    policy: SourcePolicy,
    depth: number,
    cands: Candidate[] | null,
  ): Candidate[] | null {
    const text = norm.text;
    const runs: EncodedRun[] = [];
    let lastEnd = -1;
    for (let h = 0; h < count; h++) {
      const kind = hits[3 * h]!;
      if (kind >= 0) continue;
      const a = -kind - 1;
      const s = hits[3 * h + 1]!;
      const e = hits[3 * h + 2]!;
      if (a === Anchor.base64) base64Runs(text, s, e, runs);
      else if (a === Anchor.hex) runs.push({ kind: 'hex', start: s, end: e });
      else if ((a === Anchor.percent || a === Anchor.escape) && s >= lastEnd) {
        const r = runAround(text, s, a === Anchor.percent ? 'percent' : 'escape');
        lastEnd = r.end;
        if (r.end - r.start >= MIN_ENCODED_RUN) runs.push(r);
      }
    }
    for (const run of runs) {
      const chunk = run.kind === 'base64' || run.kind === 'hex' ? DECODE_CHUNK : run.end - run.start;
      let found = false;
      for (let p = run.start; p < run.end && !found; p += chunk) {
        const q = Math.min(run.end, p + chunk);
        if (this.decodeBudget < q - p) return cands; // budget spent: stop decoding (bounded work)
        this.decodeBudget -= q - p;
        const decoded = decodeChunk(run.kind, text.slice(p, q));
        if (decoded === null) continue;
        const inner = this.scanLevel(decoded, policy, depth + 1);
        if (inner === null) continue;
        const [s, e] = toOriginalSpan(norm, run.start, run.end);
        for (const c of inner) (cands ??= []).push({ rule: c.rule, start: s, end: e, secret: c.secret });
        found = true;
      }
    }
    return cands;
  }

  private toFindings(cands: Candidate[], policy: SourcePolicy): Finding[] {
    return cands.map((c) => ({
      ruleId: c.rule.id,
      category: c.rule.category,
      action: policy.action[c.rule.index]!,
      shadow: policy.shadow[c.rule.index] === 1,
      label: c.rule.label,
      start: c.start,
      end: c.end,
      fingerprint: fingerprint(this.key, c.secret),
      preview: maskedPreview(c.secret),
    }));
  }
}

/**
 * True when a context word occurs where the post-match context check could find it: within
 * `context.window` of any point of the confirm window (a superset of what passesFilters reads).
 */
function hasContextWord(
  lower: string,
  needsLowering: boolean,
  ws: number,
  we: number,
  ctx: NonNullable<CompiledRule['context']>,
): boolean {
  let around = lower.slice(Math.max(0, ws - ctx.window), Math.min(lower.length, we + ctx.window));
  if (needsLowering) around = around.toLowerCase();
  for (const word of ctx.words) if (around.includes(word)) return true;
  return false;
}

/** True when [s, e) of `text` holds a character that is not an ASCII digit (a separator). */
function hasNonDigit(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return true;
  }
  return false;
}

/** True when `lit` occurs in [s - 1, e) of `text` (a digit run and the char before it). */
function runHas(text: string, s: number, e: number, lit: string): boolean {
  // Bounded to the run: indexOf on the whole text would read to its end for every hit.
  const first = lit.charCodeAt(0);
  for (let i = Math.max(0, s - 1); i + lit.length <= e; i++) {
    if (text.charCodeAt(i) === first && text.startsWith(lit, i)) return true;
  }
  return false;
}

/** Validators, entropy, allowlist and context words, on the normalised text. */
function passesFilters(m: RawMatch, secret: string, text: string): boolean {
  const r = m.rule;
  // A number rule's digits inside a UUID or hash are part of an identifier, not a number.
  if (r.anchor === Anchor.digits && insideHexIdentifier(text, m.start, m.end)) return false;
  const ctx = r.context;
  // A context word near the match: required, or (required: false) evidence instead of entropy.
  const inContext =
    ctx !== null &&
    ctx.words.length > 0 &&
    hasWordIn(text, m.matchStart - ctx.window, m.matchEnd + ctx.window, ctx.words);
  if (ctx !== null && ctx.required && !inContext) return false;
  const boosted = inContext && !ctx.required;
  if (r.minEntropy !== null && !boosted && shannonEntropy(secret) < r.minEntropy) return false;
  for (const v of r.validators) if (!v(secret, text, m.start, m.end)) return false;
  if (r.stopwords.length > 0) {
    const lower = secret.toLowerCase();
    for (const w of r.stopwords) if (lower.includes(w)) return false;
  }
  for (const p of r.allowPatterns) if (p.test(secret)) return false;
  if (ctx !== null && ctx.exclude.length > 0 && hasWordIn(text, m.start - ctx.window, m.start, ctx.exclude))
    return false;
  return true;
}

/**
 * True when one of `words` (lower-case) starts in [from, to) of `text` (clamped) at a word start,
 * case-insensitively: a word beginning with a letter or digit must not follow one (`_` counts),
 * so `tin` does not fire inside `waiting` nor `text` inside `screen_text`. Only the start is
 * anchored, so `tel` still covers `telephone`. A word inside a hex identifier (`aba` in a UUID's
 * `-aba5-`) does not count.
 */
function hasWordIn(text: string, from: number, to: number, words: readonly string[]): boolean {
  const lo = Math.max(0, from);
  const around = text.slice(lo, Math.min(text.length, to)).toLowerCase();
  for (const w of words) {
    const anchored = isWordChar(w.charCodeAt(0));
    for (let at = around.indexOf(w); at >= 0; at = around.indexOf(w, at + 1)) {
      if (anchored && lo + at > 0 && isWordChar(text.charCodeAt(lo + at - 1))) continue;
      if (insideHexIdentifier(text, lo + at, lo + at + w.length)) continue;
      return true;
    }
  }
  return false;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Same span twice: keep the strongest action (then a specific rule over a generic one, then the
 * earlier rule). A finding inside another
 * is dropped when the container's action is at least as strong; partial overlaps are both kept
 * (redaction merges them), so no character of either secret survives. Shadow and live findings
 * are deduplicated separately: a shadow rule's hits must be seen even where a live rule also
 * fires (that overlap is what a team rolling out the rule wants to measure), and never hide one.
 */
function dedupe(cands: Candidate[], policy: SourcePolicy): Candidate[] {
  if (cands.length < 2) return cands;
  const rank = (c: Candidate): number =>
    ACTION_RANK[policy.action[c.rule.index]!] * 2 + (policy.shadow[c.rule.index] === 1 ? 0 : 1);
  // On the same span a specific rule (stripe-secret-key) wins over a generic one (rule option
  // `generic`: generic-*, bearer and API-key headers), so findings name the real kind; then the earlier rule.
  const generic = (c: Candidate): number => (c.rule.generic ? 1 : 0);
  cands.sort(
    (a, b) =>
      a.start - b.start ||
      b.end - a.end ||
      rank(b) - rank(a) ||
      generic(a) - generic(b) ||
      a.rule.index - b.rule.index,
  );
  const kept: Candidate[] = [];
  for (const c of cands) {
    let drop = false;
    for (let k = kept.length - 1; k >= 0; k--) {
      const o = kept[k]!;
      if (o.end <= c.start) continue;
      if (policy.shadow[o.rule.index] !== policy.shadow[c.rule.index]) continue;
      if (o.start <= c.start && o.end >= c.end && rank(o) >= rank(c)) {
        drop = true;
        break;
      }
    }
    if (!drop) kept.push(c);
  }
  return kept;
}

/** ASCII capitals (A-Z) in text[s, e). */
function countUpper(text: string, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) n++;
  }
  return n;
}
