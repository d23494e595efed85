#!/usr/bin/env node
'use strict';
// Scan CPU per chat record, split by the record's texts (message text, ids, timestamp, key,
// headers) and the chat seams, one thread, no broker. With --against DIR (the dist folder of
// another build, e.g. from a git worktree of an older commit) both engines run in this one
// process in interleaved rounds, so the two columns share the machine's noise.
//   node bench/scan-fields.cjs [records] [--against DIR] [--json FILE]
const path = require('node:path');
const fs = require('node:fs');
const { DIST, median } = require('./lib/common.cjs');
const corpora = require('./lib/corpora.cjs');
const { inThreadProcessor, chatHoldback, asKafkajsMessages } = require('./lib/in-thread.cjs');

const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : null);
const N = Number(args[0] && !args[0].startsWith('--') ? args[0] : 30_000);
const against = opt('--against');
const jsonOut = opt('--json');
const ROUNDS = 6; // the first is warm-up

const key = Buffer.alloc(32, 7);
const { scanner, processor } = inThreadProcessor({ kind: 'chat', fingerprintKey: key });

// The texts the pipeline scans: each record's, and the seams the chat hold-back builds (holdMs 0).
const byPath = new Map();
const hold = chatHoldback(scanner, {
  holdMs: 0,
  maxQueued: 20_000,
  maxConversations: 10_000,
  contextRecords: 0,
});
const messages = asKafkajsMessages(corpora.chat(N));
for (let s = 0; s < N; s += 2000) {
  const d = processor.decode(messages.slice(s, s + 2000));
  for (const r of d.requests) for (const t of r.texts) push(t.path, t.text);
  const prep = hold.prepare(d.records);
  // A seam request is one text, the direct join, with seamAt (see scanSeam below).
  for (const r of prep.requests) push('seams', { text: r.texts[0].text, seamAt: r.seamAt });
  prep.apply(prep.requests.map(() => undefined));
  hold.commitReleased(hold.releasable().length);
}
function push(p, text) {
  let list = byPath.get(p);
  if (!list) byPath.set(p, (list = []));
  list.push(text);
}

/**
 * A seam as the pipeline scans it: an engine with seam requests (seamStats, 2026-12-06 on) gets
 * one; an older build (--against) gets the two joins it used to be sent.
 */
function scanSeam(e, { text, seamAt }) {
  if (e.seamStats) e.scanRecord({ texts: [{ path: 'seam', text }], source: 'chat', seamAt });
  else {
    e.scanText(text.slice(0, seamAt) + '\n' + text.slice(seamAt), 'chat');
    e.scanText(text, 'chat');
  }
}

// A fresh engine per build and round: the clean memo (short texts found clean) must start
// empty each round, or every round after the first would find the whole corpus remembered.
function engineOf(dist) {
  const { ScanEngine } = require(path.join(path.resolve(dist), 'scan', 'engine.js'));
  return () => ScanEngine.create({ fingerprintKey: key });
}
const builds = { current: engineOf(DIST) };
if (against) builds.against = engineOf(against);
const memo = {};

const samples = {};
for (let round = 0; round < ROUNDS; round++) {
  const order = Object.keys(builds);
  if (round % 2 === 1) order.reverse();
  for (const name of order) {
    const e = builds[name]();
    for (const [p, texts] of byPath) {
      const c0 = process.cpuUsage();
      if (p === 'seams') for (const t of texts) scanSeam(e, t);
      else for (const t of texts) e.scanText(t, 'chat');
      const c = process.cpuUsage(c0);
      if (round === 0) continue;
      ((samples[name] ??= {})[p] ??= []).push((c.user + c.system) / N);
    }
    if (e.memoStats) memo[name] = { ...e.memoStats };
  }
}

const out = { date: new Date().toISOString(), records: N, rounds: ROUNDS - 1, builds: {} };
for (const [name, per] of Object.entries(samples)) {
  const rows = Object.fromEntries(Object.entries(per).map(([p, a]) => [p, Number(median(a).toFixed(2))]));
  const records = Object.entries(rows)
    .filter(([p]) => p !== 'seams')
    .reduce((s, [, v]) => s + v, 0);
  out.builds[name] = { usPerRecord: rows, recordTexts: Number(records.toFixed(2)) };
  if (memo[name]) out.builds[name].cleanMemo = memo[name];
}
console.log(`scan CPU µs per chat record (median of ${ROUNDS - 1} rounds, ${N} records)`);
const names = Object.keys(out.builds);
console.log(`  ${'text'.padEnd(24)}${names.map((n) => n.padStart(10)).join('')}`);
for (const p of [...byPath.keys()])
  console.log(
    `  ${p.padEnd(24)}${names.map((n) => String(out.builds[n].usPerRecord[p]).padStart(10)).join('')}`,
  );
console.log(
  `  ${'all record texts'.padEnd(24)}${names.map((n) => String(out.builds[n].recordTexts).padStart(10)).join('')}`,
);
for (const [name, m] of Object.entries(memo))
  console.log(
    `  ${name}: clean memo answered ${m.hits} of ${m.lookups} short texts (${((100 * m.hits) / m.lookups).toFixed(1)}%, last round)`,
  );
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(out, null, 2) + '\n');
