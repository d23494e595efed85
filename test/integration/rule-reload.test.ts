// Rule reload in a running scrubber (SIGHUP), against the real broker: a team adds a rule file,
// signals the process, and records produced after the reload are decided by the new ruleset
// (their outputs name it) while nothing before or during the reload is lost or duplicated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cleanup, consumeAll, produce, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { checkExactlyOnce, headerString, indexOutputs, summarise } from '../support/invariants';
import { chatValue } from '../support/integrity/records';

jest.setTimeout(180_000);

const RULE = `version: 1
rules:
  - id: acme-build-token
    description: ACME's internal build token (added by the team at run time)
    category: credential
    action: quarantine
    label: ACME_TOKEN
    keywords: [acmebt_]
    pattern: '\\b(acmebt_[a-z0-9]{12})\\b'
    maxLength: 20
    samples:
      positive:
        - { text: 'token acmebt_4k2j9x7q1m3z', secret: acmebt_4k2j9x7q1m3z }
      negative:
        - 'acmebt_ is the prefix'
`;

describe('rule reload', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test('SIGHUP loads a new rule file; later records are decided by it, nothing lost', async () => {
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    const rulesDir = mkdtempSync(path.join(tmpdir(), 'sluice-rules-'));
    const scrubber = new ScrubberProcess({
      config: fx.config({ scan: { workers: 1, ruleDirs: [rulesDir] } }),
      keys: fx.keys,
    });
    cleanup.defer('stop scrubber', () => scrubber.kill());
    await scrubber.start();

    const record = (text: string) => ({ key: 'conv-reload', value: chatValue(fx.registry, text) });
    const outputs = [
      ...fx.topics.outputs.clean,
      ...fx.topics.outputs.redacted,
      ...fx.topics.outputs.quarantined,
    ];
    const token = 'acmebt_7h3k9q2w5z8x';

    await produce(fx.kafka, fx.topics.rawChat, [record(`build with ${token}`), record('hello')]);
    const before = await consumeAll(fx.kafka, {
      topics: outputs,
      expectedCount: 2,
      settleMs: 500,
      deadlineMs: 60_000,
    });
    const rulesetBefore = headerString(before[0]!, 'sluice-ruleset');
    expect(before.map((m) => headerString(m, 'sluice-verdict'))).toEqual(['clean', 'clean']);

    writeFileSync(path.join(rulesDir, 'acme.yaml'), RULE);
    scrubber.child!.kill('SIGHUP');
    await waitFor(
      async () => {
        const m = /sluice_ruleset_info\{version="([^"]+)"\} 1/.exec(await scrubber.metrics());
        return m !== null && m[1] !== rulesetBefore;
      },
      { what: 'the new ruleset to be active', deadlineMs: 60_000, intervalMs: 200 },
    );

    await produce(fx.kafka, fx.topics.rawChat, [record(`build with ${token}`), record('hello again')]);
    const all = await consumeAll(fx.kafka, {
      topics: outputs,
      expectedCount: 4,
      settleMs: 1000,
      deadlineMs: 60_000,
    });
    const after = all.filter((m) => Number(headerString(m, 'sluice-source')!.split('/').pop()) >= 2);
    after.sort(
      (a, b) =>
        Number(headerString(a, 'sluice-source')!.split('/').pop()) -
        Number(headerString(b, 'sluice-source')!.split('/').pop()),
    );
    expect(after.map((m) => headerString(m, 'sluice-verdict'))).toEqual(['quarantined', 'clean']);
    const rulesetAfter = headerString(after[0]!, 'sluice-ruleset');
    expect(rulesetAfter).not.toBe(rulesetBefore);
    expect(headerString(after[1]!, 'sluice-ruleset')).toBe(rulesetAfter);
    expect(scrubber.running).toBe(true);

    const inputs = [0, 1, 2, 3].map((o) => ({ topic: fx.topics.rawChat, partition: 0, offset: String(o) }));
    const report = checkExactlyOnce(
      inputs,
      indexOutputs({
        clean: all.filter((m) => fx.topics.outputs.clean.includes(m.topic)),
        redacted: all.filter((m) => fx.topics.outputs.redacted.includes(m.topic)),
        quarantined: all.filter((m) => fx.topics.outputs.quarantined.includes(m.topic)),
      }),
    );
    expect(summarise(report)).toBe(
      'in=4 out=4 clean=3 redacted=0 quarantined=1 lost=0 duplicated=0 unexpected=0',
    );

    // A broken rule file: the reload fails, the previous rules keep scanning, the process lives.
    writeFileSync(
      path.join(rulesDir, 'broken.yaml'),
      'version: 1\nrules:\n  - id: broken\n    pattern: "("\n',
    );
    scrubber.child!.kill('SIGHUP');
    await waitFor(() => scrubber.logText().includes('rule reload failed'), {
      what: 'the failed reload to be logged',
      deadlineMs: 30_000,
    });
    expect(scrubber.running).toBe(true);
    expect(await scrubber.metrics()).toContain(`sluice_ruleset_info{version="${rulesetAfter}"} 1`);
  });
});
