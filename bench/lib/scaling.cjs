'use strict';
// Scaling: one, then two scrubber instances in one consumer group over a pre-seeded topic.
// Rates come from each instance's own counters (sluice_records_total on /metrics) and CPU
// (/proc) over fixed windows, not from committed offsets (commits are lumpy: one transaction
// carries thousands of records). Phase 1: A alone, after a warm-up. Then B starts; the
// rebalance is done when both own partitions and B has committed; phase 2: both, same length.
const { sleep, log } = require('./common.cjs');
const { metricSum } = require('./children.cjs');

async function state(child) {
  try {
    const m = await child.metrics();
    return {
      assigned: metricSum(m, 'sluice_assigned_partitions'),
      records: metricSum(m, 'sluice_records_total'),
      commits: metricSum(m, 'sluice_transactions_total', 'outcome="commit"'),
    };
  } catch {
    return { assigned: 0, records: 0, commits: 0 };
  }
}

async function snapshot(children) {
  const out = [];
  for (const c of children) out.push({ ...(await state(c)), cpu: c.sample()?.cpuSec ?? 0 });
  return { t: Date.now(), per: out };
}

function windowStats(from, to, names) {
  const seconds = (to.t - from.t) / 1000;
  let records = 0;
  let cpu = 0;
  const perInstance = {};
  names.forEach((n, i) => {
    const r = to.per[i].records - from.per[i].records;
    const c = to.per[i].cpu - from.per[i].cpu;
    records += r;
    cpu += c;
    perInstance[n] = { records: r, cpuSec: Number(c.toFixed(1)), partitions: to.per[i].assigned };
  });
  return {
    seconds: Number(seconds.toFixed(1)),
    records,
    recordsPerSec: Math.round(records / seconds),
    recordsPerCpuSec: Math.round(records / cpu),
    perInstance,
  };
}

async function scaling({ partitions, makeChild, warmupSeconds = 5, windowSeconds = 15, load }) {
  const a = makeChild('a');
  const b = makeChild('b');
  try {
    await a.start();
    // Warm-up: first commit, then warmupSeconds (JIT, connections, producers per partition).
    while ((await state(a)).commits === 0) await sleep(100);
    await sleep(warmupSeconds * 1000);
    const p1From = await snapshot([a]);
    await sleep(windowSeconds * 1000);
    load?.sample();
    const p1To = await snapshot([a]);
    const one = windowStats(p1From, p1To, ['a']);
    const tSpawn = Date.now();
    await b.start();
    const tBStarted = Date.now();
    const aBefore = p1To.per[0].assigned;
    let aRevoked = null;
    let settled = null;
    let bFirstCommit = null;
    while (!settled || !bFirstCommit) {
      const [sa, sb] = [await state(a), await state(b)];
      const now = Date.now();
      if (!aRevoked && sa.assigned < aBefore) aRevoked = now;
      if (!settled && sa.assigned > 0 && sb.assigned > 0 && sa.assigned + sb.assigned === partitions)
        settled = now;
      if (!bFirstCommit && sb.commits > 0) bFirstCommit = now;
      if (now - tSpawn > 180_000) throw new Error('rebalance did not finish in 180 s');
      load?.sample();
      await sleep(100);
    }
    await sleep(2000); // both past their first transactions
    const p2From = await snapshot([a, b]);
    await sleep(windowSeconds * 1000);
    load?.sample();
    const p2To = await snapshot([a, b]);
    const two = windowStats(p2From, p2To, ['a', 'b']);
    if (p2To.per[0].records === p2From.per[0].records || p2To.per[1].records === p2From.per[1].records) {
      log(
        '  scaling: an instance processed nothing in the 2-instance window: seed more records (BENCH_SCALE_RECORDS)',
      );
    }
    const res = {
      partitions,
      windowSeconds,
      oneInstance: one,
      twoInstances: two,
      rebalance: {
        bStartupMs: tBStarted - tSpawn,
        aRevokedAfterBStartedMs: aRevoked ? aRevoked - tBStarted : null,
        assignmentSettledAfterBStartedMs: settled - tBStarted,
        bFirstCommitAfterBStartedMs: bFirstCommit - tBStarted,
        bFirstCommitAfterSpawnMs: bFirstCommit - tSpawn,
      },
    };
    log(
      `  scaling: 1 instance ${one.recordsPerSec} rec/s, ${one.recordsPerCpuSec} rec/CPU-s; 2 instances ${two.recordsPerSec} rec/s, ${two.recordsPerCpuSec} rec/CPU-s; ${JSON.stringify(two.perInstance)}; B committing ${res.rebalance.bFirstCommitAfterBStartedMs} ms after it started`,
    );
    return res;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

module.exports = { scaling };
