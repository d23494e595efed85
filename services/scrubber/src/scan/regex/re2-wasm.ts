import type { CompiledPattern, CompileOptions, RegexEngine } from '../regex-engine';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, SluiceError } from '../../errors';
import { assertRegexInput, wellFormed } from '../regex-engine';

/**
 * Patterns compiled into one WASM module instance (one 16 MiB heap). RE2 keeps each pattern's
 * DFA cache between calls (budget a few MiB per pattern), so heavy patterns (case-insensitive
 * counted repeats) fill a heap: 24 such patterns on 16 Ki-char inputs aborted; 16 did not.
 */
export const PATTERNS_PER_INSTANCE = 16;

/**
 * re2-wasm adapter. Sharp edges handled here:
 * - match indices are code points, not UTF-16 units: converted per window (identity when the
 *   window has no surrogates);
 * - the module has a fixed 16 MiB heap shared by its compiled patterns (programs + lazily grown DFA
 *   caches) and every input copy. 250 rules do not fit one heap, so patterns are sharded over
 *   several module instances (PATTERNS_PER_INSTANCE each; see loadFreshModule). An abort ("Cannot enlarge memory arrays") may
 *   leave an instance unusable: on a WebAssembly.RuntimeError that instance is replaced, its
 *   patterns recompile lazily, and the call is retried once; a second abort is a SCAN_FAILED
 *   error (the caller fails closed);
 * - each call copies the input into WASM memory: callers keep inputs small (MAX_REGEX_INPUT_CHARS).
 * We use the embind class directly: the package's RE2 wrapper allocates result arrays per exec.
 */

interface WasmMatch {
  match: string;
  index: number;
  groups: (string | undefined)[];
}
interface WrappedRE2 {
  ok(): boolean;
  error(): string;
  match(input: string, start: number, getGroups: boolean): WasmMatch;
}
interface WasmModule {
  WrappedRE2: new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WrappedRE2;
}

const MODULE_PATH = 're2-wasm/build/wasm/re2.js';

type ModuleFactory = (
  exports: object,
  req: NodeRequire,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;
let factory: ModuleFactory | undefined;

/**
 * A NEW instance of the emscripten module (own heap) on every call. require() would hand back
 * one cached instance (and jest's registry ignores require.cache), so the glue file is wrapped
 * the way Node wraps CommonJS modules and called once per instance. The code evaluated is the
 * installed re2-wasm package file, never rule or user input.
 */
function loadFreshModule(): WasmModule {
  const resolved = require.resolve(MODULE_PATH);
  if (factory === undefined) {
    const src = readFileSync(resolved, 'utf8');
    factory = new Function('exports', 'require', 'module', '__filename', '__dirname', src) as ModuleFactory;
  }
  const mod = { exports: {} };
  try {
    factory(mod.exports, require, mod, resolved, dirname(resolved));
  } catch (err) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 're2-wasm module could not be instantiated', {
      hint: 'reinstall re2-wasm (npm ci)',
      cause: err,
    });
  }
  if (typeof (mod.exports as Partial<WasmModule>).WrappedRE2 !== 'function') {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 're2-wasm module has no WrappedRE2 export', {
      hint: 'unsupported re2-wasm version; expected 1.x',
    });
  }
  return mod.exports as WasmModule;
}

class WasmInstance {
  generation = 0;
  patterns = 0;
  mod: WasmModule;
  constructor() {
    this.mod = loadFreshModule();
  }
  reset(): void {
    this.mod = loadFreshModule();
    this.generation++;
  }
}

// The shared tsconfig has no DOM/WebAssembly lib; Node provides the global at runtime.
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } })
  .WebAssembly.RuntimeError;

function isWasmAbort(err: unknown): boolean {
  return err instanceof WasmRuntimeError;
}

/** Advance from (u16, cp) to code point `targetCp`; returns the UTF-16 index. */
function cpToUtf16(input: string, u16: number, cp: number, targetCp: number): number {
  while (cp < targetCp && u16 < input.length) {
    const c = input.charCodeAt(u16);
    if (c >= 0xd800 && c <= 0xdbff && u16 + 1 < input.length) {
      const d = input.charCodeAt(u16 + 1);
      u16 += d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    } else u16++;
    cp++;
  }
  return u16;
}

function hasSurrogates(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Code points in a (well-formed) string. */
function cpLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff)) n++;
  }
  return n;
}

class WasmPattern implements CompiledPattern {
  private re: WrappedRE2;
  private generation: number;
  constructor(
    private readonly inst: WasmInstance,
    private readonly pattern: string,
    private readonly opts: CompileOptions,
  ) {
    this.re = this.build();
    this.generation = inst.generation;
  }

  private build(): WrappedRE2 {
    const re = new this.inst.mod.WrappedRE2(this.pattern, this.opts.caseInsensitive, false, false);
    if (!re.ok()) throw new Error(re.error());
    return re;
  }

  private current(): WrappedRE2 {
    if (this.generation !== this.inst.generation) {
      this.re = this.build();
      this.generation = this.inst.generation;
    }
    return this.re;
  }

  // After a WASM abort the instance is reset (fresh module) and the call retried once.
  test(input: string): boolean {
    assertRegexInput(input);
    const s = wellFormed(input);
    try {
      return this.current().match(s, 0, false).index >= 0;
    } catch (err) {
      if (!isWasmAbort(err)) throw err;
      this.inst.reset();
      try {
        return this.current().match(s, 0, false).index >= 0;
      } catch (again) {
        throw this.outOfMemory(again);
      }
    }
  }

  execAll(input: string, out: number[]): number {
    assertRegexInput(input);
    const s = wellFormed(input);
    const base = out.length;
    try {
      return this.execAllOnce(s, out, base);
    } catch (err) {
      if (!isWasmAbort(err)) throw err;
      this.inst.reset();
      try {
        return this.execAllOnce(s, out, base);
      } catch (again) {
        throw this.outOfMemory(again);
      }
    }
  }

  private outOfMemory(err: unknown): unknown {
    if (!isWasmAbort(err)) return err;
    this.inst.reset(); // leave a usable instance behind
    return new SluiceError(ErrorCodes.SCAN_FAILED, 're2-wasm ran out of heap twice on one input', {
      retriable: false,
      hint: 'record fails closed; consider re2-native',
      cause: err,
    });
  }

  /** Test hook: the module instance this pattern runs on. */
  get instance(): WasmInstance {
    return this.inst;
  }

  private execAllOnce(s: string, out: number[], base: number): number {
    out.length = base; // a retried call starts clean
    const re = this.current();
    const surrogates = hasSurrogates(s);
    const group = this.opts.secretGroup;
    let count = 0;
    let fromCp = 0;
    // Conversion cursor: matches come left to right, so code point -> UTF-16 is incremental.
    let curCp = 0;
    let curU16 = 0;
    const totalCp = surrogates ? cpLength(s) : s.length;
    while (fromCp <= totalCp) {
      const m = re.match(s, fromCp, group !== 0);
      if (m.index < 0) break;
      const len = m.match.length;
      let start = m.index;
      if (surrogates) {
        curU16 = cpToUtf16(s, curU16, curCp, m.index);
        curCp = m.index;
        start = curU16;
      }
      if (len === 0) {
        fromCp = m.index + 1;
        continue;
      }
      const end = start + len;
      let gs = start;
      let ge = end;
      if (group !== 0) {
        const g = m.groups[group - 1];
        if (g === undefined || g.length === 0) {
          fromCp = m.index + (surrogates ? cpLength(m.match) : len);
          continue;
        }
        // re2-wasm returns group text, not offsets. The secret usually follows its context
        // (`password = (\S+)`), so when the text occurs twice in the match take the last.
        const first = m.match.indexOf(g);
        const off = first === m.match.lastIndexOf(g) ? first : m.match.lastIndexOf(g);
        gs = start + off;
        ge = gs + g.length;
      }
      out.push(start, end, gs, ge);
      count++;
      fromCp = m.index + (surrogates ? cpLength(m.match) : len);
    }
    return count;
  }
}

export function createRe2WasmEngine(perInstance = PATTERNS_PER_INSTANCE): RegexEngine {
  const instances: WasmInstance[] = [];
  return {
    kind: 're2-wasm',
    compile(pattern: string, opts: CompileOptions): CompiledPattern {
      let inst = instances[instances.length - 1];
      if (inst === undefined || inst.patterns >= perInstance) {
        inst = new WasmInstance(); // never share a heap with another engine
        instances.push(inst);
      }
      const p = new WasmPattern(inst, pattern, opts);
      inst.patterns++;
      return p;
    },
  };
}
