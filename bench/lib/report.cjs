'use strict';
// Markdown tables and the SVG chart from a results object (bench/results/latest.json).
const fmt = (x, d = 0) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);

/** CPU µs per record of the main thread, the scan workers and V8's helper threads (drain.cjs). */
const threads = (t) => (t ? `${fmt(t.main, 1)} / ${fmt(t.scan, 1)} / ${fmt(t.v8, 1)}` : '–');

function throughputTable(r) {
  const rows = [
    '| corpus | process | records/s | MB/s | CPU µs / record | of which main / scan workers / V8 GC+JIT threads | CPU cores used | broker CPU µs / record | peak RSS MB | vs pass-through |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [corpus, t] of Object.entries(r.throughput ?? {})) {
    const unit = corpus === 'keystrokes' ? ' (events)' : '';
    const line = (name, x, ratio) =>
      rows.push(
        `| ${corpus}${unit} | ${name} | ${fmt(x.recordsPerSec)} | ${fmt(x.mbPerSec, 2)} | ${fmt(x.cpuUsPerRecord, 1)} | ${threads(x.threadCpuUsPerRecord)} | ${fmt(x.cpuCores, 2)} | ${fmt(x.brokerCpuUsPerRecord, 1)} | ${fmt(x.peakRssMb)} | ${ratio} |`,
      );
    if (t.passthrough) line('pass-through (no scan)', t.passthrough, '100%');
    for (const [w, x] of Object.entries(t.sluice ?? {}))
      line(`Sluice, ${w} worker${w === '1' ? '' : 's'}`, x, pct(t.ratio?.[w]));
    for (const [label, x] of Object.entries(t.variants ?? {}))
      line(`Sluice, ${label}`, x, pct(t.passthrough ? x.recordsPerSec / t.passthrough.recordsPerSec : null));
  }
  return rows.join('\n');
}

function latencyTable(r) {
  const rows = [
    '| run (the run with the highest p99 of its repeats) | input rate (records/s) | p50 ms | p90 ms | p99 ms | max ms | measured | p50 / p99 of every run |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  const L = r.latency ?? {};
  const line = (name, x) =>
    x &&
    rows.push(
      `| ${name} | ${fmt(x.rate)} | ${fmt(x.p50Ms)} | ${fmt(x.p90Ms)} | ${fmt(x.p99Ms)} | ${fmt(x.maxMs)} | ${fmt(x.measured)} | ${(x.repeats ?? [x]).map((y) => `${fmt(y.p50Ms)} / ${fmt(y.p99Ms)}`).join(', ')} |`,
    );
  line('chat, pass-through', L.passthrough);
  for (const [w, x] of Object.entries(L.sluice ?? {}))
    line(`chat, Sluice ${w} worker${w === '1' ? '' : 's'}, chat.holdMs 0`, x);
  line('chat, Sluice, default chat.holdMs (1 s) — hold-back included', L.chatHoldback);
  line('keystrokes, Sluice, default keystroke hold-back — included', L.keystrokeHoldback);
  return rows.join('\n');
}

/** Where a Sluice batch's time went in the latency runs (mean ms per committed transaction). */
function stageTable(r) {
  const L = r.latency ?? {};
  const runs = [];
  for (const [w, x] of Object.entries(L.sluice ?? {}))
    runs.push([`chat, ${w} worker${w === '1' ? '' : 's'}, chat.holdMs 0`, x]);
  runs.push(
    ['chat, default chat.holdMs', L.chatHoldback],
    ['keystrokes, default hold-back', L.keystrokeHoldback],
  );
  const measured = runs.filter(([, x]) => x?.stages);
  if (measured.length === 0) return '';
  // The stage names and their order are those latency.cjs measured (its STAGES).
  const stages = Object.keys(measured[0][1].stages.meanMs);
  const rows = [
    `| run (mean ms per committed transaction) | records per transaction | ${stages.join(' | ')} | sum |`,
    `|---|---:|${stages.map(() => '---:').join('|')}|---:|`,
  ];
  for (const [name, x] of measured) {
    const st = x.stages;
    const sum = stages.reduce((a, k) => a + (st.meanMs[k] ?? 0), 0);
    rows.push(
      `| ${name} | ${fmt(st.recordsPerBatch)} | ${stages.map((k) => fmt(st.meanMs[k], 1)).join(' | ')} | ${fmt(sum, 1)} |`,
    );
  }
  return [
    "Where a transaction's time goes (`sluice_batch_stage_seconds` of the Sluice child at the end of each latency run): begin = producer + transaction start (+ committed offset on a new producer); analyse = decode + worker scan (chat seam texts included); holdback = keystroke rebuild and its scans, hold-back bookkeeping; produce = output records; audit = audit records; commit = sendOffsets + EndTxn.",
    '',
    ...rows,
  ].join('\n');
}

function engineTable(r) {
  const e = r.engine;
  if (!e) return '';
  const f = (v) =>
    typeof v === 'number' ? fmt(v, 1) : v ? `${fmt(v.cpu, 1)} per CPU-s (${fmt(v.wall, 1)} wall)` : '–';
  const rows = [
    '| engine alone, 1 thread (no Kafka) | MB per CPU-second (= per core) | MB/s wall clock |',
    '|---|---:|---:|',
  ];
  rows.push(
    `| bench chat corpus (${fmt(e.cleanTexts)} clean texts, ${e.avgTextBytes} B avg), clean-text path | ${fmt(e.cleanPathMBpsPerCore, 1)} | ${fmt(e.cleanPathMBpsWall, 1)} |`,
  );
  rows.push(
    `| bench chat corpus, all texts (1% with findings) | ${fmt(e.wholeCorpusMBpsPerCore, 1)} | ${fmt(e.wholeCorpusMBpsWall, 1)} |`,
  );
  const b = e.engineBench;
  if (b && !b.error) {
    rows.push(
      '',
      `From \`bench/engine\` (its own chat-like corpus; \`bench/results/engine.json\` of ${b.generatedAt}):`,
      '',
      '| bench/engine | MB/s |',
      '|---|---:|',
    );
    for (const [k, v] of Object.entries(b.singleThreadCleanMBps))
      rows.push(`| 1 thread, clean path, ${k} | ${f(v)} |`);
    for (const [k, v] of Object.entries(b.poolMBps))
      rows.push(`| worker pool ${k} workers, whole corpus | ${f(v)} |`);
  }
  return rows.join('\n');
}

function scalingTable(r) {
  const s = r.scaling;
  if (!s) return '';
  const per = (x) =>
    Object.entries(x.perInstance)
      .map(([n, v]) => `${n}: ${v.partitions}`)
      .join(', ');
  const recs = (x) =>
    Object.entries(x.perInstance)
      .map(
        ([n, v]) =>
          `${n}: ${fmt(v.records)} in ${fmt(v.cpuSec, 1)} CPU-s = ${fmt(v.records / v.cpuSec)}/CPU-s`,
      )
      .join(', ');
  return [
    `| instances (1 worker each), ${s.partitions} partitions, ${s.windowSeconds} s window | records/s | records per CPU-second | partitions per instance | records per instance |`,
    '|---|---:|---:|---|---|',
    `| 1 | ${fmt(s.oneInstance.recordsPerSec)} | ${fmt(s.oneInstance.recordsPerCpuSec)} | ${per(s.oneInstance)} | ${recs(s.oneInstance)} |`,
    `| 2 | ${fmt(s.twoInstances.recordsPerSec)} | ${fmt(s.twoInstances.recordsPerCpuSec)} | ${per(s.twoInstances)} | ${recs(s.twoInstances)} |`,
    '',
    `Rebalance: B took ${fmt(s.rebalance.bStartupMs)} ms from spawn to consuming (rules compiled in its worker, group joined); A gave up partitions ${fmt(s.rebalance.aRevokedAfterBStartedMs)} ms after that, the assignment settled (both own partitions, all ${s.partitions} assigned) after ${fmt(s.rebalance.assignmentSettledAfterBStartedMs)} ms, and B committed its first transaction after ${fmt(s.rebalance.bFirstCommitAfterBStartedMs)} ms (${fmt(s.rebalance.bFirstCommitAfterSpawnMs)} ms after spawn).`,
  ].join('\n');
}

function memoryTable(r) {
  const m = r.memory;
  if (!m) return '';
  return [
    '| sustained run | value |',
    '|---|---:|',
    `| duration, input rates | ${m.seconds} s; ${Object.entries(m.rates)
      .map(([k, v]) => `${k} ${v}/s`)
      .join(', ')} |`,
    `| RSS after warm-up (median 20-40%) → end (median last 20%) | ${m.rssMb.afterWarmup} → ${m.rssMb.final} MB (${m.rssGrowthPct > 0 ? '+' : ''}${m.rssGrowthPct}%) |`,
    `| highest RSS after warm-up | ${m.rssMb.maxAfterWarmup} MB (+${m.rssMaxOverBasePct}%) |`,
    m.rssMb.maxWarmup !== undefined
      ? `| highest RSS during warm-up (first 20%) | ${m.rssMb.maxWarmup} MB |`
      : null,
    gaugeRow('RSS anonymous (V8 heaps, malloc, stacks)', m.rssAnonMb),
    gaugeRow('RSS file-backed (code)', m.rssFileMb),
    `| main isolate heap used after warm-up → end | ${m.heapUsedMb.afterWarmup} → ${m.heapUsedMb.final} MB |`,
    gaugeRow('main isolate heap committed', m.heapTotalMb),
    gaugeRow('memory outside V8 heaps (Buffers)', m.externalMb),
    gaugeRow("scan workers' heaps committed", m.workerHeapTotalMb),
    `| held keystroke events (max / at end) | ${m.heldKeystrokes.max} / ${m.heldKeystrokes.final} |`,
    `| consumer lag at end | ${m.lagFinal} |`,
    `| RSS flat within 10% | ${m.flat ? 'yes' : 'no'} |`,
  ]
    .filter((row) => row !== null)
    .join('\n');
}

/** A memory-table row for a gauge the run sampled (memory.cjs windowsOf); null for older results without it. */
function gaugeRow(label, w) {
  return w
    ? `| ${label} after warm-up → end (highest) | ${w.afterWarmup} → ${w.final} MB (${w.maxAfterWarmup}) |`
    : null;
}

function profileTable(p) {
  if (!p) return '';
  const rows = [
    '| thread | busy ms (share of its lifetime) | top areas (self time) | top functions (self time) |',
    '|---|---:|---|---|',
  ];
  for (const t of p) {
    const areas = t.areas
      .slice(0, 6)
      .map((a) => `${a.area} ${a.pct}%`)
      .join('<br>');
    const fns = t.topFunctions
      .slice(0, 8)
      .map((f) => `${f.fn.replace(/\|/g, '\\|')} ${f.pct}%`)
      .join('<br>');
    rows.push(
      `| ${t.thread} | ${fmt(t.busyMs)} (${Math.round((100 * t.busyMs) / (t.busyMs + t.idleMs))}%) | ${areas} | ${fns} |`,
    );
  }
  return rows.join('\n');
}

function targetsTable(r) {
  const rows = ['| target (issue 7) | reached | met |', '|---|---|---|'];
  for (const t of r.targets ?? [])
    rows.push(
      `| ${t.target} | ${t.reached} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`,
    );
  return rows.join('\n');
}

/** Two panels: throughput (% of pass-through) and chat latency p50/p99 against worker count. */
function chartSvg(r) {
  const W = 860;
  const H = 340;
  const panel = (x0, title, yLabel, series, yMax, target, targetLabel) => {
    const px = x0 + 60;
    const pw = 320;
    const py = 50;
    const ph = 220;
    const workers = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const xAt = (w) =>
      px + (workers.length === 1 ? pw / 2 : ((workers.indexOf(w) + 0.5) / workers.length) * pw);
    const yAt = (v) => py + ph - (Math.min(v, yMax) / yMax) * ph;
    const out = [
      `<text x="${px + pw / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">${title}</text>`,
    ];
    out.push(`<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      out.push(`<line x1="${px}" x2="${px + pw}" y1="${yAt(v)}" y2="${yAt(v)}" stroke="#eee"/>`);
      out.push(
        `<text x="${px - 6}" y="${yAt(v) + 4}" text-anchor="end" font-size="11">${Math.round(v)}</text>`,
      );
    }
    for (const w of workers)
      out.push(`<text x="${xAt(w)}" y="${py + ph + 18}" text-anchor="middle" font-size="12">${w}</text>`);
    out.push(
      `<text x="${px + pw / 2}" y="${py + ph + 36}" text-anchor="middle" font-size="12">scan workers</text>`,
    );
    out.push(
      `<text transform="translate(${x0 + 16},${py + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${yLabel}</text>`,
    );
    if (target !== null) {
      out.push(
        `<line x1="${px}" x2="${px + pw}" y1="${yAt(target)}" y2="${yAt(target)}" stroke="#c00" stroke-dasharray="5,4"/>`,
      );
      out.push(
        `<text x="${px + pw - 4}" y="${yAt(target) - 5}" text-anchor="end" font-size="11" fill="#c00">${targetLabel}</text>`,
      );
    }
    series.forEach((s, i) => {
      const pts = s.points.map(([w, v]) => `${xAt(w)},${yAt(v)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const [w, v] of s.points) {
        out.push(`<circle cx="${xAt(w)}" cy="${yAt(v)}" r="4" fill="${s.color}"/>`);
        out.push(
          `<text x="${xAt(w) + 7}" y="${yAt(v) - 6}" font-size="11" fill="${s.color}">${Math.round(v)}</text>`,
        );
      }
      out.push(`<rect x="${px + 8}" y="${py + 8 + i * 16}" width="10" height="10" fill="${s.color}"/>`);
      out.push(`<text x="${px + 22}" y="${py + 17 + i * 16}" font-size="11">${s.name}</text>`);
    });
    return out.join('\n');
  };
  const colors = { chat: '#1f77b4', keystrokes: '#2ca02c', docs: '#9467bd', p50: '#1f77b4', p99: '#d62728' };
  const tSeries = Object.entries(r.throughput ?? {}).map(([c, t]) => ({
    name: `${c} (pass-through = 100)`,
    color: colors[c] ?? '#555',
    points: Object.entries(t.ratio ?? {}).map(([w, v]) => [Number(w), v * 100]),
  }));
  const lat = r.latency?.sluice ?? {};
  const lSeries = [
    {
      name: 'chat p50 (hold-back off)',
      color: colors.p50,
      points: Object.entries(lat).map(([w, v]) => [Number(w), v.p50Ms ?? 0]),
    },
    {
      name: 'chat p99 (hold-back off)',
      color: colors.p99,
      points: Object.entries(lat).map(([w, v]) => [Number(w), v.p99Ms ?? 0]),
    },
  ];
  const tMax = Math.max(100, ...tSeries.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  const lMax = Math.max(300, ...lSeries.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    panel(0, 'Throughput, % of pass-through', '% of pass-through records/s', tSeries, tMax, 70, 'target 70%'),
    panel(
      430,
      'Added latency at half max throughput',
      'ms, produce → committed output',
      lSeries,
      lMax,
      250,
      'target p99 250 ms',
    ),
    `<text x="10" y="${H - 8}" font-size="10" fill="#666">Sluice bench ${r.date} · ${r.machine.cpus} · load avg ${r.load ? `${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)}` : '?'} · shared machine: compare ratios, not absolutes</text>`,
    '</svg>',
  ].join('\n');
}

function markdown(r) {
  const m = r.machine;
  const parts = [
    '## Benchmarks',
    '',
    `Measured ${r.date} on ${m.cpus}, ${m.memGb} GB RAM, ${m.kernel}, Node ${m.node}, kafkajs ${m.kafkajs}, Kafka ${m.kafka} (one local KRaft broker on the same machine, started by the bench). ` +
      `Load average during the run: ${r.load ? `${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)} (median ${r.load.median.toFixed(1)})` : 'n/a'} on ${m.cpus.split(' ')[0]} cores shared with other engineers' test runs, so compare the ratios measured in the same run, not absolute figures. ` +
      `Settings: \`${r.settings.command}\` (${r.settings.profile}). Full results: \`bench/results/latest.json\`.` +
      (r.settings.overlaid ?? [])
        .map(
          (o) =>
            ` The ${o.stages.join(' and ')} figures are from a separate run at ${o.date} (\`${o.command}\`).`,
        )
        .join(''),
    '',
    '![throughput and latency against worker count](bench/results/chart.svg)',
    '',
    '### Targets',
    '',
    targetsTable(r),
    '',
    `### Throughput (pre-seeded input drained; window from the first commit to 95% committed; best of ${r.settings.repeat} interleaved rounds)`,
    '',
    `Corpora: chat ${fmt(r.corpora.chat?.records)} records (${r.corpora.chat?.avgBytes} B avg, TrafficGenerator, sensitiveRate 0.01, 50 conversations: a message's successor arrives within milliseconds, so the chat hold-back holds almost nothing; the "conversations" row is the same generator over ${fmt(r.settings.manyConversations)} conversations, where each message waits its full \`chat.holdMs\` as in real chat), keystrokes ${fmt(r.corpora.keystrokes?.records)} events (${r.corpora.keystrokes?.avgBytes} B avg, one key per event, plus pointer/focus/clipboard events), docs ${fmt(r.corpora.docs?.records)} pasted documents (${fmt(r.corpora.docs?.avgBytes / 1024, 0)} KB avg). ${r.settings.partitions} input partitions; \`group.partitionsConsumedConcurrently\` ${r.settings.concurrency ?? 4} and \`limits.maxBatchRecords\` 2000 for both processes. CPU and peak RSS are the whole child process (all threads), from /proc; broker CPU is the broker process over the same window (it shares the 2 cores).`,
    '',
    throughputTable(r),
    '',
    '### Latency (rate-limited producer at half the measured max; produce → read by a read_committed consumer)',
    '',
    latencyTable(r),
    '',
    stageTable(r),
    '',
    '### Engine alone',
    '',
    engineTable(r),
    '',
    '### Scaling (one consumer group, pre-seeded topic)',
    '',
    scalingTable(r),
    '',
    r.model ?? '',
    '',
    '### Memory',
    '',
    memoryTable(r),
    '',
    '### Profile (node --cpu-prof on the scrubber child, chat drain, 1 worker)',
    '',
    profileTable(r.profile?.threads),
    '',
    r.profile?.notes ?? '',
    '',
    '### Running it',
    '',
    r.settings.howTo,
  ];
  return parts.join('\n');
}

module.exports = { markdown, chartSvg, throughputTable, latencyTable };
