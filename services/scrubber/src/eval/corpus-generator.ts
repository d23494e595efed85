import { createHash } from 'node:crypto';
import type { Family } from './families';
import { FAMILIES, luhnComplete, plant, uuid } from './families';
import { ALNUM, B64, DIGITS, HEX, Prng } from './prng';

/** A labelled span: UTF-16 offsets into `text`. */
export interface Label {
  start: number;
  end: number;
  category: string;
  ruleFamily: string;
}

export interface CorpusLine {
  id: string;
  text: string;
  labels: Label[];
}

export interface CorpusOptions {
  seed: number;
  lines: number;
  /** Share of lines that carry at least one planted value. */
  positiveRate: number;
}

export const DEFAULT_CORPUS: CorpusOptions = { seed: 20240611, lines: 20000, positiveRate: 0.06 };

/**
 * Hard negatives: things that look like secrets to a naive scanner (hashes, UUIDs, base64 blobs,
 * documentation example keys, placeholders, identifiers, versions, timestamps, order numbers
 * that fail Luhn). None of these may produce a finding.
 */
const HARD_NEGATIVES: ((r: Prng) => string)[] = [
  (r) => `request_id=${uuid(r)}`,
  (r) => `md5 ${r.chars(HEX, 32)}  dist/app.tar.gz`,
  (r) => `sha1: ${r.chars(HEX, 40)}`,
  (r) => `sha256:${r.chars(HEX, 64)}`,
  (r) => `commit ${r.chars(HEX, 40)}`,
  (r) => `Merge pull request #${r.int(100, 9999)} from acme/fix-${r.chars(HEX, 7)}`,
  (r) => `<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA${r.chars(B64, 120)}=">`,
  () => 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
  () => 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  () => 'export OPENAI_API_KEY=<YOUR_API_KEY>',
  () => 'api_key: sk-xxxxxxxxxxxxxxxxxxxxxxxx',
  () => 'Authorization: Bearer ${API_TOKEN}',
  () => 'GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}',
  () => 'password: <password>',
  () => 'postgres://user:password@localhost:5432/db',
  () => 'stripe key looks like sk_test_4eC39HqLyjWDarjtT1zdp7dc in the docs',
  (r) =>
    `const ${r.pick(['getUserAccessToken', 'parseApiKeyHeader', 'secretManagerClient', 'tokenRefreshIntervalMs'])} = ${r.int(1, 9000)};`,
  (r) =>
    `upgraded ${r.pick(['react', 'lodash', 'kafkajs', 'node'])} from ${r.int(1, 20)}.${r.int(0, 30)}.${r.int(0, 30)} to ${r.int(1, 20)}.${r.int(0, 30)}.${r.int(0, 30)}`,
  (r) => `${new Date(1700000000000 + r.int(0, 3e10)).toISOString()} INFO worker ${r.int(1, 64)} heartbeat`,
  (r) => `order #${badLuhn(r)} shipped`,
  (r) => `tracking 1Z${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16)}`,
  (r) => `session ${r.chars(HEX, 32)} expired`,
  (r) => `token_count=${r.int(10, 90000)} max_tokens=4096`,
  (r) => `listening on 10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:8080`,
  (r) => `build ${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 99)}.${r.int(0, 9999)}`,
  (r) => `trace_id=${r.chars(HEX, 32)} span_id=${r.chars(HEX, 16)}`,
  (r) => `etag: "W/${r.chars(ALNUM, 27)}"`,
  () => 'this is confidential computing with enclaves',
  () => 'the secret sauce is caching',
  () => 'std::vector<std::string> names;',
  (r) => `invoice INV-${r.chars(DIGITS, 8)} total $${r.int(10, 9999)}.${r.chars(DIGITS, 2)}`,
  () => 'eyJhbGciOiJIUzI1NiJ9 is just a header',
  () => 'see https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX in the docs',
  // Structured-PII look-alikes: epoch millis, ids, versions, user agents, git SSH remotes, durations.
  (r) => `ts=${1700000000000 + r.int(0, 3e10)} user_id=${uuid(r)}`,
  (r) => `git clone git@github.com:acme/${r.pick(['app', 'infra', 'sluice'])}.git`,
  (r) => `redis://cache-${r.int(1, 9)}.acme.io:6379/${r.int(0, 15)}`,
  (r) => `release ${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 99)}.${r.int(100, 9999)} is out`,
  (r) =>
    `Mozilla/5.0 (X11; Linux x86_64) Chrome/${r.int(100, 130)}.0.${r.int(1000, 6999)}.${r.int(10, 200)} Safari/537.36`,
  (r) => `call duration 00:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}`,
  (r) => `npm i @acme/ui@${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 20)}`,
  (r) => `job ${r.chars(DIGITS, 10)} finished in ${r.int(1, 900)}s`,
];

function badLuhn(r: Prng): string {
  const good = luhnComplete('4' + r.chars(DIGITS, 14));
  const last = good.charCodeAt(15) - 48;
  return good.slice(0, 15) + String((last + 1 + r.int(0, 7)) % 10);
}

const CHAT: readonly string[] = [
  'can you summarise the meeting notes from yesterday?',
  'sure, here is the draft for the release announcement',
  'the build is green again after the flaky test fix',
  'I think we should retry the job with a smaller batch size',
  'what does this error mean: connection reset by peer',
  'thanks! that fixed it',
  'let me check the dashboard and get back to you',
  'how do I configure the consumer group for exactly once?',
  'the deploy is scheduled for 3pm',
  'please review my PR when you have a minute',
  'could you rewrite this paragraph in a friendlier tone',
  'why is the latency p99 so high this morning',
];
const LOG: readonly string[] = [
  'INFO http request method=GET path=/healthz status=200 dur_ms=2',
  'WARN consumer lag above threshold partition=7 lag=1203',
  'DEBUG cache miss key=user:profile',
  'INFO scheduler tick jobs=14',
  'ERROR upstream timeout service=payments retry=2',
  'INFO screen_text focus=editor chars=184',
  'INFO keystroke batch device=laptop-3 n=32',
  'WARN slow query table=orders ms=912',
];

function filler(r: Prng): string {
  return r.chance(0.5)
    ? r.pick(CHAT)
    : `${new Date(1700000000000 + r.int(0, 3e10)).toISOString()} ${r.pick(LOG)}`;
}

/** Builds the labelled corpus; the same options always give the same lines. */
export function generateCorpus(opts: CorpusOptions = DEFAULT_CORPUS): CorpusLine[] {
  const r = new Prng(opts.seed);
  const families: Family[] = Object.values(FAMILIES);
  const out: CorpusLine[] = [];
  for (let i = 0; i < opts.lines; i++) {
    const labels: Label[] = [];
    let text = filler(r);
    if (r.chance(0.25)) text += ' ' + r.pick(HARD_NEGATIVES)(r);
    if (r.chance(opts.positiveRate)) {
      const n = r.chance(0.2) ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const planted = r.pick(families)(r);
        const p = plant(planted);
        const sep = r.chance(0.5) ? '\n' : ' ';
        const base = text.length + sep.length;
        text += sep + p.text;
        labels.push({
          start: base + p.start,
          end: base + p.end,
          category: planted.category,
          ruleFamily: planted.ruleFamily,
        });
      }
    }
    out.push({
      id: `c${String(i).padStart(6, '0')}`,
      text,
      labels: labels.sort((a, b) => a.start - b.start),
    });
  }
  return out;
}

export function toJsonl(lines: readonly CorpusLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

export function corpusDigest(jsonl: string): string {
  return createHash('sha256').update(jsonl).digest('hex');
}
