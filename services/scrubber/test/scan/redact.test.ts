import fc from 'fast-check';
import { redactText } from '../../src/scan/redact';
import type { Finding } from '../../src/scan/types';
import { starterEngine } from './support/engine';

const f = (start: number, end: number, extra: Partial<Finding> = {}): Finding => ({
  ruleId: 'r',
  category: 'pii',
  action: 'redact',
  shadow: false,
  label: 'EMAIL',
  start,
  end,
  fingerprint: '3fa9c2d1'.padEnd(64, '0'),
  preview: '…',
  ...extra,
});

describe('redactText', () => {
  it('replaces spans with typed placeholders and keeps everything else', () => {
    expect(redactText('mail a@b.io now', [f(5, 11)])).toBe('mail [EMAIL:3fa9c2d1] now');
  });

  it('merges overlaps; the strongest then longest finding names the placeholder', () => {
    const out = redactText('0123456789', [f(1, 4), f(3, 8, { label: 'AWS_KEY', action: 'quarantine' })]);
    expect(out).toBe('0[AWS_KEY:3fa9c2d1]89');
  });

  it('leaves shadow findings in place', () => {
    expect(redactText('abc', [f(0, 3, { shadow: true })])).toBe('abc');
  });
});

// Starter-rule samples: [text, secret] — the text carries the context some rules need.
const SAMPLES: Array<[string, string]> = [
  ['export AWS_ACCESS_KEY_ID=AKIAGGAKJSDFV6GUMRZD', 'AKIAGGAKJSDFV6GUMRZD'],
  [
    'AWS_SECRET_ACCESS_KEY=KQYbY+qXSAb2ReQ62WYoB2eFRk47VJ0dvb9pk68L',
    'KQYbY+qXSAb2ReQ62WYoB2eFRk47VJ0dvb9pk68L',
  ],
  ['token 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', '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'],
  [
    'SLACK=xoxb-952298055740-7243939912592-V7uRaHFBIMH24Q5PV58rF7yG',
    'xoxb-952298055740-7243939912592-V7uRaHFBIMH24Q5PV58rF7yG',
  ],
  ['contact dana.kim+ml@acme-corp.io', 'dana.kim+ml@acme-corp.io'],
  ['card 4532 0151 1283 0366', '4532 0151 1283 0366'],
  ['IBAN: DE47 3704 0044 0532 0130 77', 'DE47 3704 0044 0532 0130 77'],
  ['SSN: 536-22-8721', '536-22-8721'],
  ['call +1 (415) 555-2671', '+1 (415) 555-2671'],
  ['my password is hG7#kq2LmZ9p', 'hG7#kq2LmZ9p'],
  [
    'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQ4MjEzIiwibmFtZSI6IkRhbmEiLCJpYXQiOjE3MzAwMDAwMDB9.PfrxyIIkIK9ezBH8m3EkCkv-OghLyA4R1U2_en2bXmf',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQ4MjEzIiwibmFtZSI6IkRhbmEiLCJpYXQiOjE3MzAwMDAwMDB9.PfrxyIIkIK9ezBH8m3EkCkv-OghLyA4R1U2_en2bXmf',
  ],
];

// Noise that cannot form a finding by itself: no digits, '@', '+' or long tokens.
const noiseChar = fc.constantFrom(
  'a',
  'b',
  'Z',
  ' ',
  ' ',
  '\n',
  ',',
  '.',
  '!',
  'é',
  'e\u0301',
  '中',
  '文',
  '😀',
  '👍🏽',
  'ß',
  '\u200b',
  'ｗ',
  '—',
  '«',
  '»',
);
const noise = fc.array(noiseChar, { maxLength: 12 }).map((a) => a.join(''));

describe('redaction property', () => {
  const engine = starterEngine();

  it('removes every inserted secret and leaves every other character unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(noise, fc.integer({ min: 0, max: SAMPLES.length - 1 })), {
          minLength: 1,
          maxLength: 5,
        }),
        noise,
        (parts, tail) => {
          let text = '';
          const secrets: Array<[number, number]> = [];
          for (const [n, i] of parts) {
            const [sample, secret] = SAMPLES[i]!;
            text += `${n} `;
            const at = text.length + sample.indexOf(secret);
            secrets.push([at, at + secret.length]);
            text += `${sample} `;
          }
          text += tail;
          const findings = engine.scanText(text);
          const out = redactText(text, findings);
          // Every inserted secret lies inside a redacted span.
          for (const [s, e] of secrets)
            expect(findings.some((x) => !x.shadow && x.start <= s && x.end >= e)).toBe(true);
          // Rebuild: outside the union of spans the text is unchanged; inside it is a placeholder.
          const spans = findings.filter((x) => !x.shadow).sort((a, b) => a.start - b.start);
          let rebuilt = '';
          let pos = 0;
          for (let k = 0; k < spans.length;) {
            const s = spans[k]!.start;
            let e = spans[k]!.end;
            let j = k + 1;
            while (j < spans.length && spans[j]!.start < e) e = Math.max(e, spans[j++]!.end);
            rebuilt += `${text.slice(pos, s)}\u0000`;
            pos = e;
            k = j;
          }
          rebuilt += text.slice(pos);
          expect(out.replace(/\[[A-Z_]+:[0-9a-f]{8}\]/g, '\u0000')).toBe(rebuilt);
          // Every redacted span covers an inserted secret (noise produced no findings).
          for (const x of spans) expect(secrets.some(([s, e]) => x.start < e && x.end > s)).toBe(true);
          for (const [, secret] of SAMPLES) if (text.includes(secret)) expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 150 },
    );
  });
});
