import Module from 'node:module';

/**
 * Puts `exports` into the module cache as kafkajs' internal module `request`, so the kafkajs file
 * that requires it (`requiredBy`) gets ours when it loads. kafkajs 2.2.4 is its last release;
 * this is how its defects are mended without forking it (kafkajs-linear-grouping,
 * kafkajs-aborted-filter). False when `requiredBy` was loaded first with the original: then the
 * replacement cannot take effect, and the caller must be imported before `kafkajs`.
 */
export function replaceKafkajsModule(request: string, requiredBy: string, exports: unknown): boolean {
  const modulePath = require.resolve(request);
  if (require.cache[require.resolve(requiredBy)] && require.cache[modulePath]?.exports !== exports)
    return false;
  const m = new Module(modulePath);
  m.filename = modulePath;
  m.loaded = true;
  m.exports = exports;
  require.cache[modulePath] = m;
  return true;
}
