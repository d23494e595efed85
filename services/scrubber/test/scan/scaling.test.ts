import { ScanEngine } from '../../src/scan/engine';
import { KEY } from './support/engine';

jest.setTimeout(120_000);

/**
 * Regression: a big text full of digit runs (log lines with timestamps) was quadratic: every
 * digit hit searched the whole text for non-ASCII context words (1 MB took 31 s). With the full
 * built-in ruleset (pii.yaml has such words), 8 MB must now take seconds.
 */
it('8 MB of timestamped log lines scans in linear time with the built-in rules', () => {
  const engine = ScanEngine.create({ fingerprintKey: KEY });
  const line = 'the build is green again 2023-12-24T11:35:38.243Z ok +44 20 7946 0000 ';
  const text = line.repeat(Math.ceil((8 * 1024 * 1024) / line.length));
  const t0 = Date.now();
  engine.scanText(text);
  expect(Date.now() - t0).toBeLessThan(30_000);
});
