'use strict';
// Reads V8 .cpuprofile files (node --cpu-prof) and sums self time per function and per area.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./common.cjs');

function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length + 1);
  return u.replace(/^services\/scrubber\/dist\//, 'scrubber/');
}

/** Where a function's time goes, coarsely: which library or which part of the scrubber. */
function area(url, name) {
  if (name === '(garbage collector)') return 'gc';
  if (name === '(idle)' || name === '(program)') return name;
  if (!url) return name.startsWith('(') ? name : 'native/builtin';
  const u = shortUrl(url);
  const nm = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1];
  if (u.startsWith('node:')) return 'node-core';
  const s = u.match(/^scrubber\/([^/]+)\//);
  if (s) return `scrubber/${s[1]}`;
  return u;
}

function analyse(file, top = 15) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const dt = new Map();
  // timeDeltas[i] is the time before samples[i]; attribute it to the sampled node.
  for (let i = 0; i < prof.samples.length; i++)
    dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const byFn = new Map();
  const byArea = new Map();
  let total = 0;
  let idle = 0;
  for (const n of prof.nodes) {
    const us = dt.get(n.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const k = `${name} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFn.set(k, (byFn.get(k) ?? 0) + us);
    const a = area(url, name);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const pct = (us) => Number(((100 * us) / total).toFixed(1));
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    file: path.basename(file),
    busyMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    topFunctions: sorted(byFn)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, selfMs: Math.round(us / 1000), pct: pct(us) })),
    areas: sorted(byArea)
      .slice(0, top)
      .map(([a, us]) => ({ area: a, selfMs: Math.round(us / 1000), pct: pct(us) })),
  };
}

/** The profiles of one process: thread 0 is the main thread, the others are workers. */
function analyseDir(dir, top) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  return files.map((f) => {
    const tid = Number(f.split('.').at(-3));
    return { thread: tid === 0 ? 'main' : `worker ${tid}`, ...analyse(path.join(dir, f), top) };
  });
}

module.exports = { analyse, analyseDir };

if (require.main === module) {
  const res = analyseDir(process.argv[2], Number(process.argv[3] ?? 25));
  for (const t of res) {
    process.stdout.write(`\n== ${t.thread} ${t.file}: busy ${t.busyMs} ms, idle ${t.idleMs} ms\n`);
    for (const a of t.areas) process.stdout.write(`  ${String(a.pct).padStart(5)}%  ${a.area}\n`);
    process.stdout.write('  --\n');
    for (const f of t.topFunctions) process.stdout.write(`  ${String(f.pct).padStart(5)}%  ${f.fn}\n`);
  }
}
