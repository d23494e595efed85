'use strict';
// Scaling: one, then two scrubber instances in one consumer group over a pre-seeded topic.
// Phase 1: instance A alone. Then B starts; the rebalance is done when both own partitions
// (sluice_assigned_partitions on each) and B has committed a transaction. Phase 2: both drain
// the rest. Records per CPU-second (both processes' CPU) in each phase; partition balance and
// records per instance from their /metrics.
const { sleep, committedTotal, log } = require('./common.cjs');
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

async function scaling({ admin, topic, total, partitions, makeChild, phase1Fraction = 0.3, load }) {
  const a = makeChild('a');
  const b = makeChild('b');
  const groupId = a.config.group.id;
  const cpu = (c) => c.sample()?.cpuSec ?? 0;
  try {
    await a.start();
    let first = null;
    for (;;) {
      const c = await committedTotal(admin, groupId, topic);
      load?.sample();
      if (!first && c > 0) first = { t: Date.now(), c, cpu: cpu(a), rec: (await state(a)).records };
      if (c >= total * phase1Fraction) break;
      await sleep(200);
    }
    const p1End = { t: Date.now(), c: await committedTotal(admin, groupId, topic), cpu: cpu(a), rec: (await state(a)).records };
    const aAlone = await state(a);
    const tSpawn = Date.now();
    await b.start();
    const tBStarted = Date.now();
    let rebalancedAt = null;
    let aFirstReassigned = null;
    let bFirstCommit = null;
    let stB;
    let stA;
    while (!rebalancedAt) {
      [stA, stB] = await Promise.all([state(a), state(b)]);
      if (!aFirstReassigned && stA.assigned < aAlone.assigned) aFirstReassigned = Date.now();
      if (!bFirstCommit && stB.commits > 0) bFirstCommit = Date.now();
      if (stB.assigned > 0 && stA.assigned > 0 && stA.assigned + stB.assigned === partitions) rebalancedAt = Date.now();
      if (Date.now() - tSpawn > 120_000) throw new Error('rebalance did not finish in 120 s');
      load?.sample();
      await sleep(100);
    }
    // B's first commit (it may come after the assignment settled).
    while (!bFirstCommit && Date.now() - rebalancedAt < 30_000) {
      if ((await state(b)).commits > 0) bFirstCommit = Date.now();
      else await sleep(100);
    }
    const p2Start = { t: Date.now(), c: await committedTotal(admin, groupId, topic), cpuA: cpu(a), cpuB: cpu(b), recA: stA.records, recB: stB.records };
    for (;;) {
      const c = await committedTotal(admin, groupId, topic);
      load?.sample();
      if (c >= total * 0.95) break;
      await sleep(200);
    }
    const [endA, endB] = await Promise.all([state(a), state(b)]);
    const p2End = { t: Date.now(), c: await committedTotal(admin, groupId, topic), cpuA: cpu(a), cpuB: cpu(b) };
    const p1Records = p1End.c - first.c;
    const p1Cpu = p1End.cpu - first.cpu;
    const p2Records = p2End.c - p2Start.c;
    const p2Cpu = p2End.cpuA - p2Start.cpuA + (p2End.cpuB - p2Start.cpuB);
    const res = {
      partitions,
      oneInstance: {
        records: p1Records,
        seconds: Number(((p1End.t - first.t) / 1000).toFixed(1)),
        recordsPerSec: Math.round(p1Records / ((p1End.t - first.t) / 1000)),
        recordsPerCpuSec: Math.round(p1Records / p1Cpu),
        partitions: { a: aAlone.assigned },
      },
      twoInstances: {
        records: p2Records,
        seconds: Number(((p2End.t - p2Start.t) / 1000).toFixed(1)),
        recordsPerSec: Math.round(p2Records / ((p2End.t - p2Start.t) / 1000)),
        recordsPerCpuSec: Math.round(p2Records / p2Cpu),
        partitions: { a: endA.assigned, b: endB.assigned },
        recordsPerInstance: { a: endA.records - p2Start.recA, b: endB.records - p2Start.recB },
        cpuSecPerInstance: { a: Number((p2End.cpuA - p2Start.cpuA).toFixed(1)), b: Number((p2End.cpuB - p2Start.cpuB).toFixed(1)) },
      },
      rebalance: {
        bStartupMs: tBStarted - tSpawn,
        aRevokedAfterBStartedMs: aFirstReassigned ? aFirstReassigned - tBStarted : null,
        assignmentSettledAfterBStartedMs: rebalancedAt - tBStarted,
        bFirstCommitAfterBStartedMs: bFirstCommit ? bFirstCommit - tBStarted : null,
        bFirstCommitAfterSpawnMs: bFirstCommit ? bFirstCommit - tSpawn : null,
      },
    };
    log(`  scaling: 1 instance ${res.oneInstance.recordsPerCpuSec} rec/CPU-s, 2 instances ${res.twoInstances.recordsPerCpuSec} rec/CPU-s; partitions ${JSON.stringify(res.twoInstances.partitions)}; B committing ${res.rebalance.bFirstCommitAfterBStartedMs} ms after it started`);
    return res;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

module.exports = { scaling };
