import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../../src/errors';
import { compiledPath, scanWorkerScript } from '../../../src/scan/pool/compiled-path';

describe('compiledPath', () => {
  it('maps src/*.ts to dist/*.js', () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-compiled-'));
    mkdirSync(join(root, 'dist', 'scan'), { recursive: true });
    writeFileSync(join(root, 'dist', 'scan', 'a.js'), '');
    expect(compiledPath(join(root, 'src', 'scan', 'a.ts'), 'thing')).toBe(join(root, 'dist', 'scan', 'a.js'));
  });

  it('tells the user to build when the compiled file is missing', () => {
    const missing = join(tmpdir(), 'nowhere', 'src', 'x.ts');
    expect(() => compiledPath(missing, 'scan worker script')).toThrow(
      expect.objectContaining({ code: ErrorCodes.BUILD_MISSING }) as unknown as Error,
    );
    expect(() => compiledPath(missing, 'scan worker script')).toThrow(
      /scan worker script not found at .*\/nowhere\/dist\/x\.js.*npm run build/,
    );
  });

  it('finds the built worker entry when running from src', () => {
    expect(scanWorkerScript()).toMatch(/\/dist\/scan\/pool\/scan-worker\.js$/);
  });
});
