import { ErrorCodes, SluiceError } from '../errors';
import { createRe2NativeEngine } from './regex/re2-native';
import { createRe2WasmEngine } from './regex/re2-wasm';

/**
 * Adapter between the engine and an RE2 implementation (gitleaks habit: the regex engine
 * sits behind an interface). V8 RegExp is never an implementation: rule patterns are
 * untrusted input and V8 backtracks (ReDoS).
 */
export type RegexEngineKind = 're2-wasm' | 're2-native';
/** `auto`: native RE2 when its addon loads, else re2-wasm (see README "Regex engine"). */
export type RegexEngineChoice = RegexEngineKind | 'auto';

/**
 * Largest input (UTF-16 units) ever handed to RE2. re2-wasm has a fixed 16 MiB heap shared by
 * every compiled pattern and every input copy; 16 Ki units are at most 48 KiB of UTF-8
 * (BMP chars take <= 3 bytes, surrogate pairs 4 bytes for 2 units), under the 64 KiB budget.
 */
export const MAX_REGEX_INPUT_CHARS = 16 * 1024;

export interface CompiledPattern {
  /**
   * Every non-overlapping, non-empty match in `input` (length <= MAX_REGEX_INPUT_CHARS), left to right.
   * Pushes 4 numbers per match into `out`: matchStart, matchEnd, groupStart, groupEnd — UTF-16
   * offsets into `input`; the group is the pattern's secret group (0 = whole match).
   * Matches whose secret group did not participate are skipped. Returns the number of matches.
   */
  execAll(input: string, out: number[]): number;
  /** True when the pattern matches anywhere in `input` (allowlists). */
  test(input: string): boolean;
}

export interface CompileOptions {
  caseInsensitive: boolean;
  /** Capture group holding the sensitive value; 0 = whole match. */
  secretGroup: number;
}

export interface RegexEngine {
  readonly kind: RegexEngineKind;
  /** Throws a plain Error with RE2's message when the pattern does not compile. */
  compile(pattern: string, opts: CompileOptions): CompiledPattern;
}

/**
 * Native RE2 is the default where its addon built: measured on this project's traffic with the
 * full ruleset it scanned ~4.7x more records/s than re2-wasm, compiles the ruleset ~9x faster,
 * and has no fixed 16 MiB heap. re2-wasm is the fallback where a native build is impossible.
 */
export function nativeRe2Available(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native addon
    require('re2');
    return true;
  } catch {
    return false;
  }
}

export function resolveRegexEngine(choice: RegexEngineChoice): RegexEngineKind {
  if (choice !== 'auto') return choice;
  return nativeRe2Available() ? 're2-native' : 're2-wasm';
}

export function createRegexEngine(choice: RegexEngineChoice = 'auto'): RegexEngine {
  const kind = resolveRegexEngine(choice);
  if (kind === 're2-wasm') return createRe2WasmEngine();
  if (kind === 're2-native') return createRe2NativeEngine();
  throw new SluiceError(ErrorCodes.CONFIG_INVALID, `unknown regex engine "${String(kind)}"`, {
    hint: 'expected auto, re2-wasm or re2-native',
  });
}

/** Guard shared by the adapters: a bigger input would risk the WASM heap (see MAX_REGEX_INPUT_CHARS). */
export function assertRegexInput(input: string): void {
  if (input.length > MAX_REGEX_INPUT_CHARS) {
    throw new SluiceError(
      ErrorCodes.SCAN_FAILED,
      `regex input of ${input.length} chars exceeds ${MAX_REGEX_INPUT_CHARS}`,
      {
        hint: 'internal error: confirm windows must be capped',
      },
    );
  }
}

/**
 * Embind converts JS strings to UTF-8 assuming well-formed UTF-16; a lone high surrogate
 * swallows the next unit and shifts every offset. toWellFormed() replaces lone surrogates
 * with U+FFFD, which keeps the length (1 unit each), so offsets stay valid.
 */
export function wellFormed(input: string): string {
  // ES2024 String methods; the shared tsconfig targets the ES2023 lib, Node 24 has them.
  const s = input as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? input : s.toWellFormed();
}
