import { ErrorCodes, SluiceError } from '../../errors';
import type { CompiledPattern, CompileOptions, RegexEngine } from '../regex-engine';
import { assertRegexInput } from '../regex-engine';

/**
 * Native `re2` (node-re2) adapter: optional dependency, loaded lazily inside try/catch so a
 * missing or failed native build only matters when someone asks for it. Indices are UTF-16
 * (node-re2 converts), and the `d` flag gives exact group offsets.
 */

interface NativeExec {
  index: number;
  0: string;
  indices?: Array<[number, number] | undefined>;
}
interface NativeRE2 {
  lastIndex: number;
  exec(input: string): NativeExec | null;
  test(input: string): boolean;
}
type NativeRE2Ctor = new (pattern: string, flags: string) => NativeRE2;

let cached: NativeRE2Ctor | null | undefined;

/** The native constructor, or null when `re2` is not installed / not built for this Node. */
export function loadNativeRe2(): NativeRE2Ctor | null {
  if (cached !== undefined) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native addon, loaded only if it built
    cached = require('re2') as NativeRE2Ctor;
  } catch {
    cached = null;
  }
  return cached;
}

class NativePattern implements CompiledPattern {
  private readonly re: NativeRE2;
  private readonly tester: NativeRE2;
  constructor(
    Ctor: NativeRE2Ctor,
    pattern: string,
    private readonly opts: CompileOptions,
  ) {
    const ci = opts.caseInsensitive ? 'i' : '';
    this.re = new Ctor(pattern, `gu${opts.secretGroup !== 0 ? 'd' : ''}${ci}`);
    this.tester = new Ctor(pattern, `u${ci}`);
  }

  test(input: string): boolean {
    assertRegexInput(input);
    return this.tester.test(input);
  }

  execAll(input: string, out: number[]): number {
    assertRegexInput(input);
    const re = this.re;
    const group = this.opts.secretGroup;
    re.lastIndex = 0;
    let count = 0;
    for (;;) {
      const m = re.exec(input);
      if (m === null) break;
      const start = m.index;
      const end = start + m[0].length;
      if (end === start) {
        re.lastIndex = start + 1;
        if (re.lastIndex > input.length) break;
        continue;
      }
      if (group === 0) {
        out.push(start, end, start, end);
        count++;
        continue;
      }
      const g = m.indices?.[group];
      if (g === undefined || g[1] <= g[0]) continue;
      out.push(start, end, g[0], g[1]);
      count++;
    }
    return count;
  }
}

export function createRe2NativeEngine(): RegexEngine {
  const Ctor = loadNativeRe2();
  if (Ctor === null) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'regex engine re2-native is not available', {
      hint: 'the optional dependency `re2` is not installed or not built for this Node; use re2-wasm',
    });
  }
  return {
    kind: 're2-native',
    compile(pattern: string, opts: CompileOptions): CompiledPattern {
      return new NativePattern(Ctor, pattern, opts);
    },
  };
}
