import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanEngine } from '../scan/engine';
import type { CorpusLine } from './corpus-generator';
import { DEFAULT_CORPUS, corpusDigest, generateCorpus, toJsonl } from './corpus-generator';
import { evaluate, formatTable } from './evaluate';

/**
 * `npm run eval` entry point: scans the labelled corpus with the built-in ruleset and writes
 * eval/results.json. `--generate` rewrites eval/corpus.jsonl from the seeded generator first
 * (it is also generated when missing). Exit code 0 either way: this reports, it does not gate.
 */
const EVAL_DIR = join(__dirname, '..', '..', 'eval');
const CORPUS = join(EVAL_DIR, 'corpus.jsonl');
const RESULTS = join(EVAL_DIR, 'results.json');

function loadCorpus(regenerate: boolean): { lines: CorpusLine[]; digest: string } {
  if (regenerate || !existsSync(CORPUS)) {
    mkdirSync(EVAL_DIR, { recursive: true });
    writeFileSync(CORPUS, toJsonl(generateCorpus(DEFAULT_CORPUS)));
  }
  const raw = readFileSync(CORPUS, 'utf8');
  const lines = raw
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as CorpusLine);
  return { lines, digest: corpusDigest(raw) };
}

function main(argv: readonly string[]): void {
  const { lines, digest } = loadCorpus(argv.includes('--generate'));
  // Fingerprints are irrelevant to scoring; a throwaway key keeps the engine's contract.
  const engine = ScanEngine.create({ fingerprintKey: randomBytes(32), includeBuiltin: true });
  const started = process.hrtime.bigint();
  const res = evaluate(lines, engine);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const out = {
    generatedAt: new Date().toISOString(),
    corpusSha256: digest,
    rulesetVersion: engine.rulesetVersion,
    rules: engine.rules.length,
    scanMs: Math.round(ms),
    ...res,
  };
  writeFileSync(RESULTS, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(
    `${formatTable(res)}\n\nscan ${Math.round(ms)} ms, ${engine.rules.length} rules; wrote ${RESULTS}\n`,
  );
}

main(process.argv.slice(2));
