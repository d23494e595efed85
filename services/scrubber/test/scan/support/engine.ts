import { join } from 'node:path';
import { ScanEngine } from '../../../src/scan/engine';
import type { ScanEngineOptions } from '../../../src/scan/engine';

/** starter.yaml only: unit tests must not depend on rule files other engineers are editing. */
export const STARTER = join(__dirname, '../../../rules/builtin/starter.yaml');
export const KEY = Buffer.alloc(32, 0x5a);

const cache = new Map<string, ScanEngine>();

export function starterEngine(opts: Partial<ScanEngineOptions> = {}): ScanEngine {
  const k = JSON.stringify(opts);
  let e = cache.get(k);
  if (e === undefined) {
    e = ScanEngine.create({ includeBuiltin: false, ruleFiles: [STARTER], fingerprintKey: KEY, ...opts });
    cache.set(k, e);
  }
  return e;
}

export function nativeAvailable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- probing an optional native addon
    require('re2');
    return true;
  } catch {
    return false;
  }
}

// Secrets with valid checksums (generated for these tests; none is a real credential).
export const GHP = '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';
export const AWS_ID = 'AKIAGGAKJSDFV6GUMRZD';
export const CARD = '4532015112830366';

/**
 * About `bytes` of repeated chat `line`s with ` token ` inserted after every `every` lines, and the
 * offsets where each token starts (large-input tests: windows must find every one, in place).
 */
export function repeatedLinesWithToken(
  line: string,
  token: string,
  every: number,
  bytes = 50 * 1024 * 1024,
): { text: string; inserted: number[] } {
  const parts: string[] = [];
  const inserted: number[] = [];
  let len = 0;
  while (len < bytes) {
    parts.push(line);
    len += line.length;
    if (parts.length % every === 0) {
      parts.push(` ${token} `);
      inserted.push(len + 1);
      len += token.length + 2;
    }
  }
  return { text: parts.join(''), inserted };
}
