/**
 * The pool with its default engine module (the compiled scan/engine.js): proves the module
 * adapter, path resolution and Buffer revival against the real ScanEngine.create.
 * Needs `npm run build`; costs one engine compile per worker (~2 s).
 */
import { join } from 'node:path';
import { createEngineFromModule, WorkerPool } from '../../../src/scan/pool';
import { makeRecords } from './fixtures';
import { GHP, repeatedLinesWithToken } from '../support/engine';

jest.setTimeout(60_000);

it('scans with the production engine exactly as the engine does in-thread', async () => {
  const fingerprintKey = Buffer.alloc(32, 3);
  const records = makeRecords(20);
  records.push({
    source: 'chat',
    texts: [
      {
        path: 'value.text',
        text: 'mail me: jane.doe@corp-mail.example.net, key ghp_1234567890abcdefghijklmnopqrstuvwxyzAB',
      },
    ],
  });
  // Chat seams (seamAt survives the packed transport): a clean one, and a key split over two messages.
  records.push(
    { source: 'chat', texts: [{ path: 'seam', text: 'see you then' + 'ok bye' }], seamAt: 12 },
    {
      source: 'chat',
      texts: [{ path: 'seam', text: `the key is ${GHP}` }],
      seamAt: 25,
    },
  );
  const inThread = await createEngineFromModule(
    join(__dirname, '..', '..', '..', 'dist', 'scan', 'engine.js'),
    { fingerprintKey },
  );
  const expected = records.map((r) => inThread.scanRecord(r));

  const pool = await WorkerPool.create({ engineOptions: { fingerprintKey }, workers: 1 });
  try {
    expect(pool.rulesetVersion).toBe(inThread.rulesetVersion);
    const results = await pool.scanBatch(records);
    const strip = (r: (typeof results)[number]): unknown => (r.ok ? { ok: true, findings: r.findings } : r);
    expect(results.map(strip)).toEqual(expected.map(strip));
    const [clean, split] = results.slice(-2).map(strip) as Array<{
      findings: Array<Array<{ ruleId: string }>>;
    }>;
    expect(clean!.findings).toEqual([[], []]);
    expect(split!.findings[1]!.length).toBeGreaterThan(0); // the direct join holds the whole key
  } finally {
    await pool.close();
  }
});

it('a 50 MB record and ReDoS bait with the full ruleset: scanned in a worker, none restarted', async () => {
  // The pipeline quarantines records over limits.maxRecordBytes by reference, but the engine in
  // a worker must survive any size: bounded windows, a bounded worker heap (512 MB default).
  jest.setTimeout(240_000);
  const fingerprintKey = Buffer.alloc(32, 3);
  const { text: big, inserted } = repeatedLinesWithToken(
    'hey, can you check the deploy logs? the build on main failed again, see ticket 4821. ',
    GHP,
    150_000,
  );
  const bait = `${'a'.repeat(100_000)}!${'(x+x+)+y'.repeat(2000)}${'=='.repeat(50_000)}`;
  const pool = await WorkerPool.create({ engineOptions: { fingerprintKey }, workers: 1 });
  try {
    const [r1, r2] = await pool.scanBatch([
      { source: 'chat', texts: [{ path: 'value.text', text: big }] },
      { source: 'chat', texts: [{ path: 'value.text', text: bait }] },
    ]);
    expect(r1!.ok).toBe(true);
    expect(r2!.ok).toBe(true);
    if (!r1!.ok) return;
    const found = r1!.findings[0]!.filter((f) => f.ruleId === 'github-pat-classic').map((f) => f.start);
    expect(found).toEqual(inserted);
    expect(pool.restarts).toBe(0);
  } finally {
    await pool.close();
  }
});
