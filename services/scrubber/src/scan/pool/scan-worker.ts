/**
 * Worker thread entry: builds one engine at start, then scans chunks until terminated.
 *
 * Engine exceptions are deliberately NOT caught here. `scanRecord` is contractually
 * non-throwing, so a throw means the engine is broken (e.g. a re2-wasm instance that hit
 * its heap limit and is unusable afterwards); letting it kill the thread makes the pool
 * replace the worker instead of scanning on with a poisoned engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngineFromModule } from './engine-loader';
import type { LoadedEngine } from './engine-loader';
import {
  toWire,
  type ChunkCounters,
  type MainToWorker,
  type ScanWorkerData,
  type WorkerToMain,
} from './protocol';
import { unpackRecords } from './packed';
import type { RecordScanRequest, RecordScanResult } from '../types';

const port = parentPort;
if (port === null) throw new Error('scan-worker must run in a worker thread');

/** Structured clone turns Buffers into Uint8Arrays; engines expect Buffers (e.g. fingerprintKey). */
function reviveBuffers(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    out[k] =
      v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
  }
  return out;
}

const decoder = new TextDecoder();

function scanChunk(
  engine: LoadedEngine,
  records: RecordScanRequest[],
  started: bigint,
): { results: RecordScanResult[]; counters: ChunkCounters } {
  const results: RecordScanResult[] = new Array<RecordScanResult>(records.length);
  const ruleHits: Record<string, number> = {};
  let texts = 0;
  let textChars = 0;
  let findings = 0;
  let scanNanos = 0;
  for (let i = 0; i < records.length; i++) {
    const req = records[i]!;
    const res = engine.scanRecord(req);
    results[i] = res;
    texts += req.texts.length;
    for (let t = 0; t < req.texts.length; t++) textChars += req.texts[t]!.text.length;
    if (res.ok) {
      scanNanos += res.scanNanos;
      for (let t = 0; t < res.findings.length; t++) {
        const perText = res.findings[t]!;
        findings += perText.length;
        for (let f = 0; f < perText.length; f++) {
          const id = perText[f]!.ruleId;
          ruleHits[id] = (ruleHits[id] ?? 0) + 1;
        }
      }
    }
  }
  const workerNanos = Number(process.hrtime.bigint() - started);
  return { results, counters: { texts, textChars, findings, ruleHits, scanNanos, workerNanos } };
}

async function main(p: NonNullable<typeof parentPort>): Promise<void> {
  const data = workerData as ScanWorkerData;
  let engine: LoadedEngine;
  try {
    engine = await createEngineFromModule(data.engineModulePath, reviveBuffers(data.engineOptions));
  } catch (err) {
    // Rule and module errors name files and rule ids, never record data, so the message is safe to pass on.
    const e = err instanceof Error ? err : new Error(String(err));
    p.postMessage({ type: 'init-failed', errorName: e.name, message: e.message } satisfies WorkerToMain);
    return;
  }
  const current = data.currentTask ? new Int32Array(data.currentTask) : null;
  p.on('message', (msg: MainToWorker) => {
    if (current) Atomics.store(current, 0, msg.taskId);
    const started = process.hrtime.bigint();
    const records =
      msg.type === 'scan'
        ? msg.records
        : msg.type === 'scan-packed'
          ? unpackRecords(msg.packed)
          : (JSON.parse(decoder.decode(msg.encoded)) as RecordScanRequest[]);
    const { results, counters } = scanChunk(engine, records, started);
    p.postMessage({
      type: 'result',
      taskId: msg.taskId,
      results: results.map(toWire),
      counters,
    } satisfies WorkerToMain);
    if (current) Atomics.store(current, 0, 0);
  });
  p.postMessage({ type: 'ready', rulesetVersion: engine.rulesetVersion } satisfies WorkerToMain);
}

void main(port);
