'use strict';
// The real engine in this thread behind the scanner interface, and a BatchProcessor for one
// source on it: bench scripts that measure the route and hold-back code without a worker pool.
const path = require('node:path');
const { generateKeyPairSync } = require('node:crypto');
const { DIST } = require('./common.cjs');

const { SchemaRegistry } = require(path.join(DIST, 'codec', 'schema-registry.js'));
const { BatchProcessor } = require(path.join(DIST, 'route', 'batch-processor.js'));
const { AvroValueCodec } = require(path.join(DIST, 'route', 'avro-value-codec.js'));
const { EnvelopeWriter } = require(path.join(DIST, 'quarantine', 'envelope-writer.js'));
const { ScanEngine } = require(path.join(DIST, 'scan', 'engine.js'));
const { ChatWindowHoldback } = require(path.join(DIST, 'rebuild', 'chat-window-holdback.js'));

/** kind 'chat' or 'telemetry'; processor options beyond these keep BatchProcessor's defaults. */
function inThreadProcessor({ kind, fingerprintKey, maxRecordBytes = 512 * 1024, auditCleanRanges }) {
  const registry = SchemaRegistry.load();
  const engine = ScanEngine.create({ fingerprintKey });
  const scanner = {
    rulesetVersion: engine.rulesetVersion,
    scanBatch: async (rs) => rs.map((r) => engine.scanRecord(r)),
    close: async () => undefined,
  };
  const source = {
    name: kind,
    topic: `raw.${kind}`,
    format: 'avro',
    kind,
    outputs: { clean: `clean.${kind}`, redacted: `redacted.${kind}`, quarantine: `quarantine.${kind}` },
  };
  const processor = new BatchProcessor({
    source,
    codec: new AvroValueCodec(registry, source),
    scanner,
    fingerprintKey,
    maxRecordBytes,
    rulesetVersion: () => engine.rulesetVersion,
    envelopes: new EnvelopeWriter(registry, generateKeyPairSync('x25519').publicKey, 'k', 'bench'),
    ...(auditCleanRanges ? { auditCleanRanges } : {}),
  });
  return { registry, engine, scanner, source, processor };
}

/** The chat hold-back on `scanner` with the pipeline's chat.* defaults; `options` override them. */
function chatHoldback(scanner, options = {}) {
  return new ChatWindowHoldback({
    source: 'chat',
    scanner,
    holdMs: 1000,
    seamChars: 256,
    maxQueued: 10_000,
    maxConversations: 100_000,
    contextRecords: 1000,
    ...options,
  });
}

/** Corpus records as kafkajs hands them over: offsets and timestamps as strings, headers as Buffers. */
function asKafkajsMessages(records, timestampOf = () => Date.now()) {
  return records.map((r, i) => ({
    offset: String(i),
    timestamp: String(timestampOf(i)),
    key: r.key,
    value: r.value,
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
  }));
}

module.exports = { inThreadProcessor, chatHoldback, asKafkajsMessages };
