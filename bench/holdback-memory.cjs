#!/usr/bin/env node
// Memory of the keystroke hold-back with many concurrent idle sessions (issue: "memory stays
// bounded with 100,000 concurrent idle sessions"). Each session has typed a few keys and gone
// idle without a boundary, so every one of them holds an open run.
//   node --expose-gc bench/holdback-memory.cjs [sessions] [keysPerSession]
'use strict';
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const D = path.resolve(__dirname, '../services/scrubber/dist');
const { encodeAvro } = require(`${D}/codec/record-codec`);
const { KeystrokeHoldback } = require(`${D}/rebuild/keystroke-holdback`);
const { inThreadProcessor } = require('./lib/in-thread.cjs');

const sessions = Number(process.argv[2] ?? 100_000);
const keysPer = Number(process.argv[3] ?? 3);
const key = Buffer.alloc(32, 1);
// The real engine, in-thread (the pipeline uses the worker pool; the held state is the same).
const { registry, scanner, processor } = inThreadProcessor({
  kind: 'telemetry',
  fingerprintKey: key,
  maxRecordBytes: 1e6,
});

function heapMb() {
  global.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

async function run(maxHeldEvents) {
  const hb = new KeystrokeHoldback({
    source: 'telemetry',
    scanner,
    fingerprintKey: key,
    idleGapMs: 3600_000,
    maxHoldMs: 7200_000,
    maxRunChars: 4096,
    maxHeldEvents,
  });
  const before = heapMb();
  let offset = 0;
  const batch = 5000;
  for (let s = 0; s < sessions; s += batch / keysPer) {
    const msgs = [];
    for (let j = s; j < Math.min(sessions, s + batch / keysPer); j++) {
      for (let k = 0; k < keysPer; k++) {
        const value = encodeAvro(registry, 1, {
          eventId: randomUUID(),
          device: `d${j}`,
          session: 's',
          seq: k,
          timestampMs: 0,
          app: null,
          window: null,
          field: { id: 'f', kind: 'TEXT', sensitive: false },
          body: { 'io.sluice.KeyEvent': { key: 'abc'[k % 3], code: null, modifiers: [], repeat: false } },
        });
        msgs.push({
          offset: String(offset++),
          timestamp: String(Date.now()),
          key: Buffer.from(`d${j}/s`),
          value,
          headers: {},
        });
      }
    }
    await hb.ingest(await processor.analyse(msgs));
    // As the pipeline does after each transaction: the settled head is released.
    hb.commitReleased(hb.releasable().length);
  }
  const after = heapMb();
  return {
    maxHeldEvents,
    sessions,
    keysPerSession: keysPer,
    events: offset,
    held: hb.heldCount,
    openRuns: hb.openRuns,
    heapMbBefore: +before.toFixed(1),
    heapMbAfter: +after.toFixed(1),
    bytesPerHeldEvent: hb.heldCount ? Math.round(((after - before) * 1048576) / hb.heldCount) : null,
    rssMb: +(process.memoryUsage().rss / 1048576).toFixed(0),
  };
}

(async () => {
  const unbounded = await run(1e9);
  const bounded = await run(50_000);
  const out = { date: new Date().toISOString(), node: process.version, unbounded, bounded };
  console.log(JSON.stringify(out, null, 2));
  const fs = require('node:fs');
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, 'results', 'holdback-memory.json'),
    JSON.stringify(out, null, 2) + '\n',
  );
})();
