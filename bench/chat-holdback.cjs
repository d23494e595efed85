#!/usr/bin/env node
'use strict';
// The chat hold-back with many conversations, in this one thread (no broker): every message
// waits for the next one of its conversation, so with thousands of conversations the queue sits
// at its bound (chat.maxQueued). Reports CPU per record of the chunk path (decode, scan with the
// seams, hold-back, finish) for holdMs 0 and 1000, and the heap per queued message with held
// bodies released (the default) and kept.
//   node --expose-gc bench/chat-holdback.cjs [records] [conversations]
const fs = require('node:fs');
const path = require('node:path');
const corpora = require('./lib/corpora.cjs');
const { inThreadProcessor, chatHoldback, asKafkajsMessages } = require('./lib/in-thread.cjs');

const N = Number(process.argv[2] ?? 60_000);
const CONVERSATIONS = Number(process.argv[3] ?? 20_000);
const CHUNK = 2000;
const MAX_QUEUED = 10_000;
if (!global.gc) throw new Error('run with node --expose-gc (the heap figures need a full GC)');

const { scanner, processor } = inThreadProcessor({ kind: 'chat', fingerprintKey: Buffer.alloc(32, 7) });
// Event time advances 1 s per 15,000 records (the seeded drain's pace is ~90,000/s over 6 partitions).
const messages = asKafkajsMessages(corpora.chat(N, 11, CONVERSATIONS), (i) => 1e12 + Math.floor(i / 15));

async function run(holdMs, releaseHeldBodies) {
  const hold = chatHoldback(scanner, { holdMs, maxQueued: MAX_QUEUED, releaseHeldBodies });
  global.gc();
  const heap0 = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  let maxQueued = 0;
  for (let s = 0; s < N; s += CHUNK) {
    const decoded = processor.decode(messages.slice(s, s + CHUNK));
    const prep = hold.prepare(decoded.records);
    prep.apply(await processor.scan(decoded, prep.requests));
    await hold.tick();
    const out = hold.releasable();
    processor.finish('raw.chat', 0, out);
    hold.commitReleased(out.length);
    maxQueued = Math.max(maxQueued, hold.queuedCount);
  }
  const c = process.cpuUsage(c0);
  global.gc();
  const heap = process.memoryUsage().heapUsed - heap0;
  return {
    holdMs,
    releaseHeldBodies,
    cpuUsPerRecord: Number(((c.user + c.system) / N).toFixed(1)),
    queuedAtEnd: hold.queuedCount,
    maxQueued,
    heapBytesPerQueued: hold.queuedCount > 0 ? Math.round(heap / hold.queuedCount) : null,
  };
}

(async () => {
  await run(1000, true); // warm-up (JIT), not reported
  const rows = [];
  for (let round = 0; round < 2; round++)
    for (const [holdMs, release] of [
      [0, true],
      [1000, true],
      [1000, false],
    ])
      rows.push(await run(holdMs, release));
  for (const r of rows)
    console.log(
      `holdMs ${String(r.holdMs).padStart(4)}, held bodies ${r.releaseHeldBodies ? 'released' : 'kept    '}: ${r.cpuUsPerRecord} us/record, queued ${r.queuedAtEnd} (max ${r.maxQueued}), ${r.heapBytesPerQueued ?? '-'} B of heap per queued message`,
    );
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    records: N,
    conversations: CONVERSATIONS,
    rows,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, 'results', 'chat-holdback.json'),
    JSON.stringify(out, null, 2) + '\n',
  );
})();
