/**
 * The one place that knows how to build an engine from a module path. The pool never
 * imports the engine at compile time: the worker loads it by path, so tests can hand in
 * fixture engines that throw, exit, hang or run out of memory.
 */
import type { RecordScanRequest, RecordScanResult } from '../types';

/** What a worker needs from an engine. `scanRecord` is contractually non-throwing. */
export interface LoadedEngine {
  readonly rulesetVersion: string;
  scanRecord(req: RecordScanRequest): RecordScanResult;
}

type EngineFactory = (options: Record<string, unknown>) => unknown;

function pickFactory(mod: Record<string, unknown>): EngineFactory | undefined {
  if (typeof mod.createScanEngine === 'function') return mod.createScanEngine as EngineFactory;
  const cls = mod.ScanEngine as { create?: unknown } | undefined;
  if (cls !== undefined && typeof cls.create === 'function') {
    const create = cls.create as EngineFactory;
    // Keep `this` bound: a static `create` may call `new this(...)`.
    return (options) => create.call(cls, options);
  }
  return undefined;
}

function isLoadedEngine(value: unknown): value is LoadedEngine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { scanRecord?: unknown; rulesetVersion?: unknown };
  return typeof v.scanRecord === 'function' && typeof v.rulesetVersion === 'string';
}

/**
 * Requires `modulePath` and calls its `createScanEngine(options)` or `ScanEngine.create(options)`;
 * either may return the engine or a promise of it. Throws a plain Error naming the module
 * (never the options: they hold the fingerprint key).
 */
export async function createEngineFromModule(
  modulePath: string,
  options: Record<string, unknown>,
): Promise<LoadedEngine> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is only known at run time
  const mod = require(modulePath) as Record<string, unknown>;
  const factory = pickFactory(mod);
  if (factory === undefined) {
    throw new Error(
      `engine module ${modulePath} exports neither createScanEngine(options) nor ScanEngine.create(options)`,
    );
  }
  const engine = await factory(options);
  if (!isLoadedEngine(engine)) {
    throw new Error(
      `engine module ${modulePath} returned something without scanRecord() and a string rulesetVersion`,
    );
  }
  return engine;
}
