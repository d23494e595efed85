/**
 * The pool with its default engine module (the compiled scan/engine.js): proves the module
 * adapter, path resolution and Buffer revival against the real ScanEngine.create.
 * Needs `npm run build`; costs one engine compile per worker (~2 s).
 */
import { join } from 'node:path';
import { createEngineFromModule, WorkerPool } from '../../../src/scan/pool';
import { makeRecords } from './fixtures';

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
  } finally {
    await pool.close();
  }
});
