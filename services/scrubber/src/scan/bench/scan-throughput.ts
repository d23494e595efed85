/**
 * Quick single-thread throughput of ScanEngine.scanText on clean, chat-like ASCII messages
 * (~300 B each), plus a prefilter-only figure. Not the official `npm run bench`.
 * Usage: node dist/scan/bench/scan-throughput.js [re2-wasm|re2-native] [seconds] [starter|builtin]
 */
import { join } from 'node:path';
import { ScanEngine } from '../engine';
import type { RegexEngineKind } from '../regex-engine';
import { BUILTIN_RULES_DIR } from '../rules/loader';

const WORDS =
  'the a deploy build main failed again logs check can you please review this ticket when have time meeting tomorrow about roadmap and budget sounds good thanks will do later today ok sure i think we should ship it after tests pass'.split(
    ' ',
  );

function messages(count: number): string[] {
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let m = '';
    while (m.length < 300) m += `${WORDS[Math.floor(rnd() * WORDS.length)]}${rnd() < 0.1 ? '. ' : ' '}`;
    out.push(m);
  }
  return out;
}

function main(): void {
  const kind = (process.argv[2] ?? 're2-wasm') as RegexEngineKind;
  const seconds = Number(process.argv[3] ?? '3');
  const set = process.argv[4] ?? 'starter';
  const engine = ScanEngine.create({
    fingerprintKey: Buffer.alloc(32, 1),
    regexEngine: kind,
    includeBuiltin: set === 'builtin',
    ruleFiles: set === 'builtin' ? [] : [join(BUILTIN_RULES_DIR, 'starter.yaml')],
  });
  const msgs = messages(10_000);
  const bytes = msgs.reduce((a, m) => a + m.length, 0);
  let findings = 0;
  for (const m of msgs) findings += engine.scanText(m).length; // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    for (const m of msgs) engine.scanText(m);
    n++;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const mbps = (bytes * n) / secs / 1e6;
  console.log(
    JSON.stringify({
      engine: kind,
      rules: engine.rules.length,
      ruleset: set,
      messageBytes: Math.round(bytes / msgs.length),
      findingsInCorpus: findings,
      mbPerSec: Number(mbps.toFixed(1)),
      msgsPerSec: Math.round((msgs.length * n) / secs),
    }),
  );
}

main();
