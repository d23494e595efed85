import type { Action } from '../types';
import type { CompiledPattern } from '../regex-engine';
import type { Validator } from '../validators/registry';
import type { RuleSpec } from './schema';

/** A rule ready to run: its pattern compiled by the regex engine, validators resolved. */
export interface CompiledRule {
  /** Position in the ruleset; per-source override tables are indexed by it. */
  readonly index: number;
  readonly id: string;
  readonly description: string;
  readonly category: string;
  readonly action: Action;
  readonly label: string;
  readonly keywords: readonly string[];
  /** Anchor id (prefilter/anchors.ts Anchor) or -1. */
  readonly anchor: number;
  readonly pattern: CompiledPattern;
  readonly maxLength: number;
  /**
   * Confirm window reach on each side of a prefilter hit: maxLength, plus context.window when the
   * rule has context words (its keyword may then sit before the match rather than inside it).
   */
  readonly windowPad: number;
  readonly minEntropy: number | null;
  /** digits anchor hits: fewest digits a match needs (0 = no check); see prefilter/digit-run.ts. */
  readonly minDigits: number;
  /** entropy / base64 anchor hits: fewest ASCII capitals the token run needs (0 = no check). */
  readonly minUpper: number;
  /** digits anchor + luhn validator: skip runs with no Luhn-valid stretch before calling RE2. */
  readonly luhnPrecheck: boolean;
  /** digits anchor hits: a literal the run (or the char before it) must contain, or null. */
  readonly runContains: string | null;
  /** digits anchor hits: the match has separators between its digits; a bare digit run is skipped. */
  readonly separated: boolean;
  /** Loses a same-span tie to a specific rule (rule option `generic`). */
  readonly generic: boolean;
  readonly validators: readonly Validator[];
  readonly allowPatterns: readonly CompiledPattern[];
  /** Lower-cased. */
  readonly stopwords: readonly string[];
  /** Lower-cased context words and exclusion words, or null (see schema.ts `context`). */
  readonly context: {
    readonly words: readonly string[];
    readonly window: number;
    readonly required: boolean;
    readonly exclude: readonly string[];
  } | null;
  readonly shadow: boolean;
  readonly enabled: boolean;
  /** File the rule came from, for error messages and the samples test. */
  readonly file: string;
  readonly builtin: boolean;
  readonly spec: RuleSpec;
}
