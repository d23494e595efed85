import { createRegexEngine } from '../../src/scan/regex-engine';

describe('re2-wasm heap', () => {
  it('recovers after a heap abort by moving to a fresh module instance', () => {
    const engine = createRegexEngine('re2-wasm');
    const p = engine.compile('(ghp_[a-z]+)', { caseInsensitive: false, secretGroup: 1 });
    const inst = (
      p as unknown as {
        instance: {
          generation: number;
          mod: { WrappedRE2: new (...a: unknown[]) => { match(s: string, i: number, g: boolean): unknown } };
        };
      }
    ).instance;
    // Drive the shared 16 MiB heap into an abort directly (the engine never passes such input).
    const raw = new inst.mod.WrappedRE2('x', false, false, false);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const consoleErr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => raw.match('a'.repeat(20_000_000), 0, false)).toThrow(/Cannot enlarge memory|abort/);
    } finally {
      stderr.mockRestore();
      consoleErr.mockRestore();
    }
    // Simulate "instance unusable": the next call must still work (on the same or a fresh instance).
    const out: number[] = [];
    expect(p.execAll('x ghp_abc y', out)).toBe(1);
    expect(out).toEqual([2, 9, 2, 9]);
  });

  it('shards many patterns over several instances so the heap never fills', () => {
    const engine = createRegexEngine('re2-wasm');
    const pats = Array.from({ length: 120 }, (_, i) =>
      engine.compile(`(k${i}_[A-Za-z0-9+/]{40,120})`, { caseInsensitive: true, secretGroup: 1 }),
    );
    const text = Array.from({ length: 120 }, (_, i) => `k${i}_${'Ab1/'.repeat(20)}`)
      .join(' ')
      .slice(0, 16_000);
    let n = 0;
    for (const p of pats) n += p.execAll(text, []);
    expect(n).toBeGreaterThan(50);
  });
});
