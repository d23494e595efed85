'use strict';
// Throughput: a child drains a pre-seeded topic; the group's committed offsets (polled with
// the admin client) say how far it got. The rate is taken between the first commit and the
// moment `untilFraction` of the records are committed, so group join, producer start-up and the
// keystroke hold-back tail are outside the window. CPU per record over the same window.
const { sleep, committedTotal, log, procSample, threadSample } = require('./common.cjs');
const { metricSum, stageBreakdown } = require('./children.cjs');

async function drain({
  admin,
  child,
  topic,
  total,
  bytes,
  untilFraction = 0.95,
  deadlineMs = 15 * 60_000,
  load,
  onSample,
  brokerPid,
}) {
  await child.start();
  const groupId = child.config.group.id;
  const target = Math.ceil(total * untilFraction);
  const samples = [];
  const until = Date.now() + deadlineMs;
  let first = null;
  let last = null;
  try {
    while (Date.now() < until) {
      const c = await committedTotal(admin, groupId, topic);
      const s = { t: Date.now(), committed: c, ...child.sample() };
      // The broker shares the machine's cores: its CPU in the same window says how much of the
      // machine the measured process left to it.
      if (brokerPid) s.brokerCpuSec = procSample(brokerPid)?.cpuSec ?? null;
      s.threads = child.pid ? threadSample(child.pid) : null;
      samples.push(s);
      load?.sample();
      onSample?.(s);
      if (!first && c > 0) first = s;
      if (c >= target) {
        last = s;
        break;
      }
      if (child.exited)
        throw new Error(
          `${child.label} exited during the drain: ${JSON.stringify(child.exited)} (log ${child.logFile})`,
        );
      await sleep(200);
    }
    if (!last)
      throw new Error(
        `${child.label}: drain did not reach ${target} of ${total} in ${deadlineMs} ms (${samples.at(-1)?.committed})`,
      );
    const peak = child.sample();
    let m = '';
    try {
      m = await child.metrics();
    } catch {
      // the pass-through has no /metrics
    }
    const records = last.committed - first.committed;
    const seconds = (last.t - first.t) / 1000;
    const cpu = last.cpuSec - first.cpuSec;
    const avg = bytes / total;
    const res = {
      records,
      seconds: Number(seconds.toFixed(2)),
      recordsPerSec: Math.round(records / seconds),
      mbPerSec: Number(((records * avg) / seconds / 1e6).toFixed(2)),
      cpuUsPerRecord: Number(((cpu / records) * 1e6).toFixed(1)),
      cpuCores: Number((cpu / seconds).toFixed(2)),
      recordsPerCpuSec: Math.round(records / cpu),
      peakRssMb: Math.round(peak?.peakRssMb ?? 0),
      startupToFirstCommitMs: first.t - child.startedAt,
    };
    if (first.brokerCpuSec != null && last.brokerCpuSec != null) {
      const b = last.brokerCpuSec - first.brokerCpuSec;
      res.brokerCpuUsPerRecord = Number(((b / records) * 1e6).toFixed(1));
      res.brokerCpuCores = Number((b / seconds).toFixed(2));
    }
    if (first.threads && last.threads) {
      // CPU per record by thread group, over the same window (where the per-record CPU goes).
      res.threadCpuUsPerRecord = Object.fromEntries(
        Object.keys(last.threads).map((k) => [
          k,
          Number((((last.threads[k] - first.threads[k]) / records) * 1e6).toFixed(1)),
        ]),
      );
    }
    if (m) {
      res.transactions = {
        commit: metricSum(m, 'sluice_transactions_total', 'outcome="commit"'),
        abort: metricSum(m, 'sluice_transactions_total', 'outcome="abort"'),
      };
      res.scanSecondsSum = Number(metricSum(m, 'sluice_scan_duration_seconds_sum').toFixed(2));
      res.batchSecondsSum = Number(metricSum(m, 'sluice_batch_duration_seconds_sum').toFixed(2));
      res.batchCount = metricSum(m, 'sluice_batch_duration_seconds_count');
      res.stages = await stageBreakdown(child);
    }
    log(
      `  ${child.label}: ${res.recordsPerSec} rec/s, ${res.mbPerSec} MB/s, ${res.cpuUsPerRecord} us CPU/rec (${res.cpuCores} cores; broker ${res.brokerCpuUsPerRecord ?? '?'} us/rec, ${res.brokerCpuCores ?? '?'} cores), threads us/rec ${JSON.stringify(res.threadCpuUsPerRecord ?? {})}, peak RSS ${res.peakRssMb} MB${res.transactions ? `, txns ${JSON.stringify(res.transactions)}, batch s ${res.batchSecondsSum}/${res.batchCount}, scan s ${res.scanSecondsSum}; per batch (${res.stages?.recordsPerBatch} records) ms: ${JSON.stringify(res.stages?.meanMs)}` : ''}`,
    );
    return res;
  } finally {
    await child.stop();
  }
}

module.exports = { drain };
