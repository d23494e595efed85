#!/usr/bin/env node
'use strict';
// Quick, engine-independent checker for the built-in rule files.
// Usage: node services/scrubber/scripts/check-rules.cjs [file.yaml ...]
// It parses each rule file, compiles every pattern with RE2 (re2-wasm, the same
// engine family the scanner uses), and replays each rule's own samples with a
// simplified model of the engine: keyword window, pattern, secret group,
// minEntropy, allowlist, validators and required context. It is a fast
// feedback loop while authoring; the authoritative check is the engine's own
// rule-samples test.
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
// Prefer the native re2 binding (same RE2 semantics, no heap ceiling); fall back to re2-wasm.
// re2-wasm's fixed 16 MiB heap cannot hold the DFA caches of the whole ruleset in one process.
let RE2;
let wasm = false;
try {
  RE2 = require('re2');
} catch {
  wasm = true;
  RE2 = require('re2-wasm').RE2;
}
/** re2-wasm only: a fresh module instance (own heap) and an empty pattern cache, once per file. */
function freshRegexHeap() {
  if (!wasm) return;
  for (const k of Object.keys(require.cache))
    if (k.includes(`${path.sep}re2-wasm${path.sep}`)) delete require.cache[k];
  RE2 = require('re2-wasm').RE2;
  reCache.clear();
}

const CATEGORIES = new Set(['credential', 'private-key', 'pii', 'confidential', 'network']);
const ACTIONS = new Set(['redact', 'quarantine']);
const ANCHORS = new Set(['digits', 'email', 'entropy', 'ipv4', 'ipv6', 'iban', 'hex', 'base64', 'uuid']);

// ---- validators (mirrors of the engine's names; simplified where noted) ----
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(str) {
  let c = 0xffffffff;
  for (const b of Buffer.from(str, 'utf8')) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function base62(n, width) {
  let s = '';
  do {
    s = BASE62[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.padStart(width, '0');
}
// GitHub / npm token checksum: CRC32 of the 30 random characters after the
// prefix, base62-encoded into the last 6 characters.
// https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
function prefixedCrc32(tok) {
  const body = tok.slice(tok.indexOf('_') + 1);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}
function luhn(s) {
  const d = s.replace(/\D/g, '');
  if (d.length < 8) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return sum % 10 === 0;
}
function ibanMod97(s) {
  const v = s.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(v)) return false;
  const r = v.slice(4) + v.slice(0, 4);
  let m = 0;
  for (const ch of r) {
    const n = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const c of n) m = (m * 10 + (c.charCodeAt(0) - 48)) % 97;
  }
  return m === 1;
}
function isBase64(s) {
  const v = s.replace(/\s/g, '');
  return v.length >= 4 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v);
}
function ipv4Public(s) {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return false;
  const [a, b] = p;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 192 && p[1] === 0 && (p[2] === 2 || p[2] === 0)) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if (a === 198 && b === 51 && p[2] === 100) return false;
  if (a === 203 && b === 0 && p[2] === 113) return false;
  return true;
}
function datePlausible(s) {
  const nums = s.match(/\d+/g);
  if (!nums) return false;
  const year = nums.map(Number).find((n) => n >= 1000);
  if (year === undefined) return true; // month-name forms without a year
  return year >= 1900 && year <= new Date().getUTCFullYear();
}
function notSequential(s) {
  const v = s.replace(/[^A-Za-z0-9]/g, '');
  if (v.length < 4) return true;
  let up = true;
  let down = true;
  for (let i = 1; i < v.length; i++) {
    if (v.charCodeAt(i) !== v.charCodeAt(i - 1) + 1) up = false;
    if (v.charCodeAt(i) !== v.charCodeAt(i - 1) - 1) down = false;
  }
  return !(up || down);
}
const VALIDATORS = {
  luhn,
  'iban-mod97': ibanMod97,
  'github-crc32': prefixedCrc32,
  'npm-crc32': prefixedCrc32,
  jwt: (s) => s.split('.').length === 3,
  'pem-block': (s) => /-----BEGIN [^-]+-----[\s\S]*-----END [^-]+-----/.test(s),
  'us-ssn': (s) => {
    const d = s.replace(/\D/g, '');
    return d.length === 9 && !/^(000|666|9)/.test(d) && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';
  },
  base64: isBase64,
  hex: (s) => /^[0-9a-fA-F]+$/.test(s),
  'not-all-same-char': (s) => new Set(s.replace(/[^A-Za-z0-9]/g, '')).size > 1,
  'not-sequential': notSequential,
  'ipv4-public': ipv4Public,
  'e164-phone': (s) => /^\+?[1-9]\d{6,14}$/.test(s.replace(/[\s().-]/g, '')),
  'date-plausible': datePlausible,
  'aws-key-id': (s) => /^(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$/.test(s),
};

function entropy(s) {
  if (!s) return 0;
  const f = new Map();
  for (const ch of s) f.set(ch, (f.get(ch) || 0) + 1);
  let h = 0;
  for (const n of f.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

// re2-wasm has a fixed 16 MiB heap and its objects are never freed: compile each distinct
// pattern once. Running out of heap here is a signal that the ruleset is too heavy for the engine too.
const reCache = new Map();
function re2(pattern, flags) {
  const key = `${flags}/${pattern}`;
  let re = reCache.get(key);
  if (!re) {
    re = new RE2(pattern, flags);
    reCache.set(key, re);
  }
  return re;
}
function compile(rule) {
  // re2-wasm needs the 'u' flag; 'g' lets us walk every match.
  return re2(rule.pattern, rule.caseInsensitive ? 'giu' : 'gu');
}

/** Runs one rule over a text the way the engine would (simplified). Returns findings {start,end,secret} or rejections. */
function runRule(rule, re, text) {
  const out = [];
  const rejected = [];
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const g = rule.secretGroup ?? 1;
    const secret = m[g];
    if (secret === undefined) continue;
    // re2-wasm reports match indices in UTF-16 units because of the 'u' flag.
    const off = m[0].indexOf(secret);
    const start = m.index + off;
    const why = reject(rule, text, m.index, m[0].length, secret, start);
    if (why) rejected.push({ secret, why });
    else out.push({ start, end: start + secret.length, secret });
  }
  return { out, rejected };
}

function reject(rule, text, mStart, mLen, secret, sStart) {
  // Patterns may consume one boundary character on each side; allow for them.
  if (secret.length > (rule.maxLength ?? 256) || mLen > (rule.maxLength ?? 256) + 2) return 'maxLength';
  if (rule.minEntropy !== undefined && rule.minEntropy !== null && entropy(secret) < rule.minEntropy)
    return 'minEntropy';
  const al = rule.allowlist || {};
  for (const w of al.stopwords || [])
    if (secret.toLowerCase().includes(String(w).toLowerCase())) return `allowlist stopword ${w}`;
  for (const p of al.patterns || []) if (re2(p, 'u').test(secret)) return `allowlist pattern ${p}`;
  for (const v of rule.validators || []) if (!VALIDATORS[v](secret)) return `validator ${v}`;
  const ctx = rule.context;
  if (ctx && ctx.required) {
    // Context words count only BEFORE the sensitive part (a label inside the pattern counts).
    const win = text.slice(Math.max(0, sStart - (ctx.window ?? 40)), sStart).toLowerCase();
    if (!ctx.words.some((w) => win.includes(String(w).toLowerCase()))) return 'context';
  }
  if (rule.keywords && rule.keywords.length) {
    const lo = text.toLowerCase();
    const maxLen = rule.maxLength ?? 256;
    const near = rule.keywords.some((k) => {
      const kw = String(k).toLowerCase();
      for (let i = lo.indexOf(kw); i !== -1; i = lo.indexOf(kw, i + 1)) {
        if (i >= mStart - maxLen && i <= mStart + mLen) return true;
      }
      return false;
    });
    if (!near) return 'no keyword near match';
  }
  return null;
}

function checkFile(file, seen, problems) {
  freshRegexHeap();
  const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  let count = 0;
  const byCat = {};
  if (!doc || doc.version !== 1 || !Array.isArray(doc.rules)) {
    problems.push(`${file}: not a version 1 rule file`);
    return { count, byCat };
  }
  for (const rule of doc.rules) {
    count++;
    const where = `${path.basename(file)}:${rule.id}`;
    const bad = (msg) => problems.push(`${where}: ${msg}`);
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(rule.id || '')) bad('id not kebab-case');
    if (seen.has(rule.id)) bad(`duplicate id (also in ${seen.get(rule.id)})`);
    seen.set(rule.id, path.basename(file));
    if (!CATEGORIES.has(rule.category)) bad(`bad category ${rule.category}`);
    if (!ACTIONS.has(rule.action)) bad(`bad action ${rule.action}`);
    if (!rule.description || !rule.label || !/^[A-Z0-9_]+$/.test(rule.label))
      bad('description/label missing or label not UPPER_SNAKE');
    byCat[rule.category] = (byCat[rule.category] || 0) + 1;
    const hasKw = Array.isArray(rule.keywords) && rule.keywords.length > 0;
    if (!hasKw && !ANCHORS.has(rule.anchor)) bad('needs keywords or a known anchor');
    for (const k of rule.keywords || []) {
      // An unquoted `word:` inside a YAML flow list parses as a mapping, not a string.
      if (typeof k !== 'string') bad(`keyword is not a string (quote it): ${JSON.stringify(k)}`);
      else if (!/^[\x20-\x7e]+$/.test(k)) bad(`keyword not ASCII: ${k}`);
    }
    for (const v of rule.validators || []) if (!VALIDATORS[v]) bad(`unknown validator ${v}`);
    let re;
    try {
      re = compile(rule);
    } catch (e) {
      bad(`pattern does not compile in RE2: ${e.message}`);
      continue;
    }
    const pos = rule.samples?.positive || [];
    const neg = rule.samples?.negative || [];
    if (pos.length === 0 || neg.length === 0) bad('needs >=1 positive and >=1 negative sample');
    for (const s of pos) {
      const { out, rejected } = runRule(rule, re, s.text);
      if (!out.length)
        bad(
          `positive not found: ${JSON.stringify(s.text).slice(0, 120)} ${rejected.map((r) => r.why).join(',')}`,
        );
      else if (s.secret !== undefined && !out.some((f) => f.secret === s.secret))
        bad(
          `positive secret mismatch: got ${JSON.stringify(out.map((f) => f.secret))} want ${JSON.stringify(s.secret)}`,
        );
    }
    for (const s of neg) {
      const { out } = runRule(rule, re, s);
      if (out.length)
        bad(
          `negative matched: ${JSON.stringify(s).slice(0, 120)} -> ${JSON.stringify(out[0].secret).slice(0, 60)}`,
        );
    }
  }
  return { count, byCat };
}

function main(argv) {
  const dir = path.join(__dirname, '..', 'rules', 'builtin');
  const files = argv.length
    ? argv
    : fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => path.join(dir, f));
  const seen = new Map();
  const problems = [];
  let total = 0;
  const cats = {};
  for (const f of files) {
    const { count, byCat } = checkFile(f, seen, problems);
    total += count;
    for (const [k, v] of Object.entries(byCat)) cats[k] = (cats[k] || 0) + v;
    console.log(`${path.basename(f)}: ${count} rules`);
  }
  console.log(`total ${total} rules`, cats);
  for (const p of problems) console.log('PROBLEM', p);
  process.exitCode = problems.length ? 1 : 0;
}

module.exports = { VALIDATORS, crc32, base62, luhn, ibanMod97, entropy, runRule, compile };
if (require.main === module) main(process.argv.slice(2));
