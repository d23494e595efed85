import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanEngine } from '../../src/scan/engine';
import type { CorpusLine } from '../../src/eval/corpus-generator';
import { DEFAULT_CORPUS, generateCorpus, toJsonl } from '../../src/eval/corpus-generator';
import type { EvalFinding, TextScanner } from '../../src/eval/evaluate';
import { compatible, evaluate, formatTable } from '../../src/eval/evaluate';
import { FAMILIES, ibanFor, luhnComplete, plant } from '../../src/eval/families';
import { Prng } from '../../src/eval/prng';

/** A scanner that returns canned findings per text. */
function fake(map: Record<string, EvalFinding[]>): TextScanner {
  return { scanText: (text) => map[text] ?? [] };
}

const line = (id: string, text: string, labels: CorpusLine['labels'] = []): CorpusLine => ({
  id,
  text,
  labels,
});

describe('evaluate', () => {
  it('counts overlap with a compatible label as a true positive and the label as detected', () => {
    const corpus = [
      line('a', 'key AKIAXXXX', [
        { start: 4, end: 12, category: 'credential', ruleFamily: 'aws-access-key-id' },
      ]),
    ];
    const res = evaluate(
      corpus,
      fake({ 'key AKIAXXXX': [{ ruleId: 'aws-access-key-id', category: 'credential', start: 6, end: 12 }] }),
    );
    expect(res.overall).toMatchObject({ tp: 1, fp: 0, detected: 1, labels: 1, precision: 1, recall: 1 });
    expect(res.byRule['aws-access-key-id']).toMatchObject({ detectedBySameRule: 1 });
  });

  it('counts a finding of an incompatible category, or outside every label, as a false positive', () => {
    const corpus = [
      line('a', 'mail x@y.io', [{ start: 5, end: 11, category: 'pii', ruleFamily: 'email' }]),
      line('b', 'nothing here'),
    ];
    const res = evaluate(
      corpus,
      fake({
        'mail x@y.io': [{ ruleId: 'generic-token-assignment', category: 'credential', start: 5, end: 11 }],
        'nothing here': [{ ruleId: 'ipv4-address', category: 'network', start: 0, end: 7 }],
      }),
    );
    expect(res.overall).toMatchObject({ tp: 0, fp: 2, detected: 0, labels: 1, precision: 0, recall: 0 });
    expect(res.byCategory['credential']!.fp).toBe(1);
    expect(res.byCategory['pii']).toMatchObject({ labels: 1, detected: 0 });
    expect(res.misses).toHaveLength(1);
    expect(res.falsePositives).toHaveLength(2);
  });

  it('treats credential and private-key as compatible, and touching spans as not overlapping', () => {
    expect(compatible('credential', 'private-key')).toBe(true);
    expect(compatible('pii', 'credential')).toBe(false);
    const corpus = [line('a', 'aaaa bbbb', [{ start: 5, end: 9, category: 'private-key', ruleFamily: 'x' }])];
    const res = evaluate(
      corpus,
      fake({ 'aaaa bbbb': [{ ruleId: 'r', category: 'credential', start: 0, end: 5 }] }),
    );
    expect(res.overall).toMatchObject({ tp: 0, fp: 1, detected: 0 });
  });

  it('reports precision 1 and recall 1 on an empty corpus and renders a table', () => {
    const res = evaluate([], fake({}));
    expect(res.overall).toMatchObject({ precision: 1, recall: 1 });
    expect(formatTable(res)).toContain('ALL');
  });
});

describe('corpus generator', () => {
  const small = { ...DEFAULT_CORPUS, lines: 2000 };

  it('is deterministic for a seed', () => {
    expect(toJsonl(generateCorpus(small))).toBe(toJsonl(generateCorpus(small)));
    expect(toJsonl(generateCorpus({ ...small, seed: 1 }))).not.toBe(toJsonl(generateCorpus(small)));
  });

  it('labels spans that hold exactly the planted values, at roughly the configured rate', () => {
    const corpus = generateCorpus(small);
    const withLabels = corpus.filter((l) => l.labels.length > 0).length;
    expect(withLabels / corpus.length).toBeGreaterThan(0.02);
    expect(withLabels / corpus.length).toBeLessThan(0.07);
    for (const l of corpus)
      for (const lab of l.labels) {
        expect(lab.end).toBeGreaterThan(lab.start);
        expect(lab.end).toBeLessThanOrEqual(l.text.length);
      }
  });

  it('every family plants its value at the labelled span', () => {
    const r = new Prng(7);
    for (const [name, fam] of Object.entries(FAMILIES)) {
      const p = fam(r);
      const { text, start, end } = plant(p);
      expect(text.slice(start, end)).toBe(p.value);
      expect(p.ruleFamily).toBe(name);
    }
  });

  it('computes valid checksums', () => {
    const card = luhnComplete('411111111111111');
    expect(card).toBe('4111111111111111');
    expect(ibanFor('GB', 'WEST12345698765432')).toBe('GB82WEST12345698765432');
  });
});

describe('quality gate on the committed corpus (what `npm run eval` reports, enforced here)', () => {
  it('credentials and structured PII reach precision and recall >= 0.95 with the built-in rules', () => {
    const raw = readFileSync(join(__dirname, '..', '..', 'eval', 'corpus.jsonl'), 'utf8');
    const lines = raw
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as CorpusLine);
    expect(lines.length).toBeGreaterThan(10_000);
    const res = evaluate(lines, ScanEngine.create({ fingerprintKey: Buffer.alloc(32, 3) }));
    for (const [group, g] of Object.entries(res.gates)) {
      expect({
        group,
        labels: g.labels > 100,
        precision: g.precision >= 0.95,
        recall: g.recall >= 0.95,
      }).toEqual({
        group,
        labels: true,
        precision: true,
        recall: true,
      });
    }
  });
});
