'use strict';
// The three bench corpora, as raw Avro records (Confluent framing) with keys and headers as
// producers send them. Seeded: the same corpus every run.
//   chat        TrafficGenerator chat messages, sensitiveRate 0.01 (~1% secrets or PII)
//   keystrokes  TrafficGenerator telemetry: one key per event (plus pointer/focus/clipboard events)
//   docs        ~100 KB pasted documents as chat messages, ~1% with an email or an AWS key id
const path = require('node:path');
const { DIST } = require('./common.cjs');

const { SchemaRegistry } = require(path.join(DIST, 'codec', 'schema-registry.js'));
const { TrafficGenerator, RawSchemaIds } = require(path.join(DIST, 'demo', 'traffic-generator.js'));
const { encodeAvro, decodeAvro } = require(path.join(DIST, 'codec', 'record-codec.js'));
const secrets = require(path.join(DIST, 'demo', 'synthetic-secrets.js'));

const registry = SchemaRegistry.load();

/**
 * BENCH_CHAT_CONVERSATIONS: distinct conversations of the chat corpus (default 50, the demo's).
 * With few, every message's successor arrives within milliseconds in a drain and the chat
 * hold-back holds almost nothing; with many (real traffic: thousands of conversations, seconds
 * between their messages) each message is held its full `chat.holdMs`.
 */
const CHAT_CONVERSATIONS = Number(process.env.BENCH_CHAT_CONVERSATIONS ?? 50);

function chat(n, seed = 11, conversations = CHAT_CONVERSATIONS) {
  const gen = new TrafficGenerator(registry, { seed, sensitiveRate: 0.01, conversations });
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.chat();
  return out;
}

function keystrokes(n, seed = 12) {
  const gen = new TrafficGenerator(registry, { seed, sensitiveRate: 0.01, devices: 100 });
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.telemetry();
  // Whole lines only, so no typed secret is cut off by the end of the corpus.
  for (const r of gen.finishTyping()) out.push(r);
  return out;
}

const DOC_WORDS = (
  'the quarterly plan covers hiring budget and the migration of the billing service to the new ' +
  'cluster; risks include vendor lock-in, the schema change in the ledger tables and on-call load. ' +
  'section two describes the rollout in three waves with a rollback path for each wave and the ' +
  'metrics that gate promotion: error rate, p99 latency and the backlog of the reconciliation job.'
).split(' ');

/** A pasted document of ~kb KB: paragraphs of prose, ~1% of documents with one secret in the middle. */
function docs(n, kb = 100, seed = 13) {
  const rng = secrets.seededRng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const target = kb * 1024;
    const parts = [];
    let size = 0;
    while (size < target) {
      let para = '';
      const words = 40 + Math.floor(rng() * 80);
      for (let w = 0; w < words; w++) para += `${DOC_WORDS[Math.floor(rng() * DOC_WORDS.length)]} `;
      parts.push(para.trimEnd());
      size += para.length + 2;
    }
    let verdict = 'clean';
    if (rng() < 0.01) {
      const at = Math.floor(parts.length / 2);
      if (rng() < 0.5) {
        parts[at] += ` contact ${secrets.emailAddress(rng)} for access.`;
        verdict = 'redacted';
      } else {
        parts[at] += ` aws_access_key_id = ${secrets.awsAccessKeyId(rng)}`;
        verdict = 'quarantined';
      }
    }
    const conversationId = `doc-conv-${Math.floor(rng() * 500)}`;
    const value = encodeAvro(registry, RawSchemaIds.chat, {
      conversationId,
      messageId: `doc-${seed}-${i}`,
      sender: `user-${Math.floor(rng() * 500)}`,
      senderDisplay: null,
      visibility: 'INTERNAL',
      sentAtMs: Date.now(),
      text: parts.join('\n\n'),
      attachments: [],
      metadata: {},
    });
    out.push({
      key: Buffer.from(conversationId),
      value,
      headers: { 'content-type': 'application/vnd.sluice.chat+avro' },
      expect: { verdict },
    });
  }
  return out;
}

/** The chat `text` field of each record (for the engine-alone figure on the same corpus). */
function chatTexts(records) {
  return records.map((r) => decodeAvro(registry, r.value).value.text);
}

function stats(records) {
  let bytes = 0;
  const verdicts = {};
  for (const r of records) {
    bytes += r.key.length + r.value.length;
    verdicts[r.expect.verdict] = (verdicts[r.expect.verdict] ?? 0) + 1;
  }
  return {
    records: records.length,
    bytes,
    avgBytes: Math.round(bytes / Math.max(1, records.length)),
    expectedVerdicts: verdicts,
  };
}

module.exports = { registry, chat, keystrokes, docs, chatTexts, stats, TrafficGenerator };
