/**
 * worker_threads run JavaScript only. Under jest the pool itself runs from `src/*.ts`
 * (via @swc/jest), so every module a worker loads is mapped to its compiled twin in `dist/`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, SluiceError } from '../../errors';

/**
 * Maps `<pkg>/src/<rel>.ts` to `<pkg>/dist/<rel>.js`; `.js` paths pass through.
 * Throws SLUICE_BUILD_MISSING, telling the user to build, when the file is not there.
 */
export function compiledPath(file: string, what: string): string {
  let out = file;
  if (file.endsWith('.ts')) {
    const at = file.lastIndexOf('/src/');
    if (at < 0)
      throw new SluiceError(
        ErrorCodes.BUILD_MISSING,
        `${what}: cannot map ${file} to a compiled file (no /src/ in the path)`,
      );
    out = `${file.slice(0, at)}/dist/${file.slice(at + '/src/'.length, -'.ts'.length)}.js`;
  }
  if (!existsSync(out)) {
    throw new SluiceError(ErrorCodes.BUILD_MISSING, `${what} not found at ${out}`, {
      hint: 'run `npm run build` (or `npx tsc -b services/scrubber`) first',
    });
  }
  return out;
}

/** The worker entry, compiled. */
export function scanWorkerScript(): string {
  const self = __filename.endsWith('.ts')
    ? join(__dirname, 'scan-worker.ts')
    : join(__dirname, 'scan-worker.js');
  return compiledPath(self, 'scan worker script');
}

/** The production engine (`scan/engine`), compiled; used when no engine module is configured. */
export function defaultEngineModule(): string {
  const self = __filename.endsWith('.ts')
    ? join(__dirname, '..', 'engine.ts')
    : join(__dirname, '..', 'engine.js');
  return compiledPath(self, 'scan engine module');
}
