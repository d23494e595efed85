#!/usr/bin/env node
'use strict';
// Hot-path breakdown without a broker: the scrubber's per-chunk steps run in this one thread on
// the bench chat corpus, and each step's CPU time per record is reported. The steps are the
// pipeline's (decode, chat seams, scan, finish, produce-request encoding, audit) with the real
// modules; what is not here is the broker round trips, kafkajs' fetch decoding and the metrics.
//   node bench/hot-path.cjs [records] [--json FILE]   (HOT_PATH_HOLD_MS: chat.holdMs of the hold-back, default 0)
const path = require('node:path');
const fs = require('node:fs');
const { DIST } = require('./lib/common.cjs');
const corpora = require('./lib/corpora.cjs');
const { inThreadProcessor, chatHoldback, asKafkajsMessages } = require('./lib/in-thread.cjs');

require(path.join(DIST, 'kafka', 'kafkajs-mends.js'));
const { AuditWriter } = require(path.join(DIST, 'audit', 'audit-writer.js'));
const { packRecords, unpackRecords } = require(path.join(DIST, 'scan', 'pool', 'packed.js'));
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request');
const Long = require('kafkajs/src/utils/long');

const N = Number(process.argv[2] ?? 60_000);
const CHUNK = 2000;
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

const key = Buffer.alloc(32, 7);
// As a worker does: scan each record (packing and unpacking are timed as steps of their own).
const { registry, engine, scanner, processor } = inThreadProcessor({
  kind: 'chat',
  fingerprintKey: key,
  auditCleanRanges: 'all',
});
const audit = new AuditWriter(registry, key, 'bench', () => engine.rulesetVersion, true);

// Input as kafkajs hands it over: offsets and timestamps as strings, headers as Buffers.
const corpus = corpora.chat(N);
const messages = asKafkajsMessages(corpus);

const steps = new Map();
/** Adds the CPU and wall time since (c0, t0) to step `name`. */
function charge(name, c0, t0) {
  const c = process.cpuUsage(c0);
  const s = steps.get(name) ?? { cpuUs: 0, wallNs: 0n };
  s.cpuUs += c.user + c.system;
  s.wallNs += process.hrtime.bigint() - t0;
  steps.set(name, s);
}

function timed(name, fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = fn();
  charge(name, c0, t0);
  return out;
}

async function encodeProduce(outputs) {
  const byTopic = new Map();
  for (const o of outputs) {
    let parts = byTopic.get(o.topic);
    if (!parts) byTopic.set(o.topic, (parts = new Map()));
    let list = parts.get(o.partition);
    if (!list) parts.set(o.partition, (list = []));
    list.push({ key: o.key, value: o.value, headers: o.headers, timestamp: Date.now() });
  }
  const topicData = [...byTopic].map(([topic, parts]) => ({
    topic,
    partitions: [...parts].map(([partition, messages]) => ({ partition, firstSequence: 0, messages })),
  }));
  const req = produceV3({
    acks: -1,
    timeout: 30000,
    transactionalId: 'sluice-bench-0',
    producerId: Long.fromInt(1),
    producerEpoch: 0,
    topicData,
  });
  const enc = await req.encode();
  return enc.buffer.length;
}

async function run(round) {
  steps.clear();
  const hold = chatHoldback(scanner, {
    holdMs: Number(process.env.HOT_PATH_HOLD_MS ?? 0),
    maxQueued: 20_000,
    maxConversations: 10_000,
  });
  let n = 0;
  for (let start = 0; start < messages.length; start += CHUNK) {
    const chunk = messages.slice(start, start + CHUNK);
    const decoded = timed('decode (avro, texts, headers)', () => processor.decode(chunk));
    const prep = timed('chat seams prepare', () => hold.prepare(decoded.records));
    const all = [...decoded.requests, ...prep.requests];
    const packed = timed('pack for worker', () => packRecords(all));
    const reqs = timed('unpack in worker', () => unpackRecords(packed));
    const results = timed('scan (engine, records + seams)', () => reqs.map((r) => engine.scanRecord(r)));
    timed('scan results applied', () => {
      const own = results.slice(0, decoded.requests.length);
      // BatchProcessor.scan with precomputed results.
      for (let r = 0; r < decoded.requestOf.length; r++) {
        const a = decoded.records[decoded.requestOf[r]];
        const res = own[r];
        a.findings = res.findings;
        a.scanNanos = res.scanNanos;
      }
      prep.apply(results.slice(decoded.requests.length));
    });
    const records = timed('hold-back tick + release', () => {
      void hold.tick();
      return hold.releasable();
    });
    const processed = timed('finish (decide, build outputs)', () => processor.finish('raw.chat', 0, records));
    const bytes = await timedAsync('encode produce request (outputs)', () =>
      encodeProduce(processed.outputs),
    );
    void bytes;
    const offsets = processed.outputs.map((_, i) => String(n + i));
    const auditMsgs = timed('audit build', () => audit.build('raw.chat', 0, processed, offsets, 1));
    await timedAsync('encode produce request (audit)', () =>
      encodeProduce(auditMsgs.map((m) => ({ ...m, topic: 'sluice.audit', headers: {} }))),
    );
    hold.commitReleased(records.length);
    n += records.length;
  }
  const rows = [...steps].map(([name, s]) => ({
    step: name,
    cpuUsPerRecord: Number((s.cpuUs / n).toFixed(2)),
  }));
  const total = rows.reduce((a, r) => a + r.cpuUsPerRecord, 0);
  if (round > 0) {
    console.log(`round ${round}: ${n} records, total ${total.toFixed(1)} us/record`);
    for (const r of rows) console.log(`  ${r.step.padEnd(40)} ${r.cpuUsPerRecord.toFixed(2).padStart(7)} us`);
  }
  return { records: n, totalUsPerRecord: Number(total.toFixed(2)), steps: rows };
}

async function timedAsync(name, fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = await fn();
  charge(name, c0, t0);
  return out;
}

(async () => {
  await run(0);
  let best = null;
  for (let r = 1; r <= 3; r++) {
    const res = await run(r);
    if (!best || res.totalUsPerRecord < best.totalUsPerRecord) best = res;
  }
  if (jsonOut)
    fs.writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), ...best }, null, 2) + '\n');
})();
