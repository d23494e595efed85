// End to end against the real broker: N mixed records through the real scrubber process;
// every record exactly once in the right output, N audit records, no secret in clean/redacted.
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { Cleanup } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { expandAudit } from '../support/audit';
import {
  checkExactlyOnce,
  checkOrderPerPartition,
  findSecretsInOutputs,
  headerString,
  indexOutputs,
  summarise,
} from '../support/invariants';
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';
import { DEK_PAYLOAD_ALG } from '../../services/scrubber/src/quarantine/payload-cipher';
import { openQuarantined } from '../../services/scrubber/src/quarantine/quarantine-review';
import type { QuarantineEnvelope } from '../../services/scrubber/src/quarantine/quarantine-review';

jest.setTimeout(600_000);

const N = Number(process.env.SLUICE_E2E_RECORDS ?? 10_000);

describe('pipeline end to end', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // audit.cleanRanges none: one audit record per input record, N in all; all (the default): runs of
  // consecutive clean records share one offset-range record, which still decides each of them.
  test.each(['none', 'all'] as const)(
    `${N} mixed records: exactly once, right verdicts, audited (cleanRanges %s), nothing sensitive in clean or redacted`,
    async (cleanRanges) => {
      const fx = new PipelineFixture(cleanup);
      await fx.createRawTopics();
      await fx.seed(N);
      // The seed finishes lines still being typed, so there can be a few more than N records.
      const total = fx.inputs.length;
      expect(total).toBeGreaterThanOrEqual(N);

      const scrubber = new ScrubberProcess({
        config: fx.config({ scan: { workers: 2 }, audit: { cleanRanges } }),
        keys: fx.keys,
      });
      cleanup.defer('stop scrubber', () => scrubber.kill());
      await scrubber.start();
      const { outputs, audit } = await fx.readOutputs(total);
      expect(await scrubber.stop()).toBe(0);

      const index = indexOutputs(outputs);
      const report = checkExactlyOnce(fx.inputs, index);
      process.stdout.write(`e2e (cleanRanges ${cleanRanges}): ${summarise(report)} audit=${audit.length}\n`);
      expect(index.missingSourceHeader).toBe(0);
      expect(report.lost).toEqual([]);
      expect(report.duplicated).toEqual([]);
      expect(report.unexpected).toEqual([]);
      const audited = expandAudit(fx.registry, audit);
      expect(audited.duplicates).toEqual([]);
      expect(audited.byCoord.size).toBe(total);
      expect(checkOrderPerPartition([...outputs.clean, ...outputs.redacted, ...outputs.quarantined])).toEqual(
        [],
      );

      // The right output for its content.
      const wrong: string[] = [];
      for (const [coord, list] of index.bySource) {
        const want = fx.expectations.get(coord)!;
        if (list[0]!.verdict !== want.verdict)
          wrong.push(`${coord}: want ${want.verdict} (${want.why}) got ${list[0]!.verdict}`);
      }
      // Say which rules decided the wrong ones (rule ids only: audit records carry no values).
      for (let i = 0; i < wrong.length; i++) {
        const a = audited.byCoord.get(wrong[i]!.split(':')[0]!);
        if (a) wrong[i] += ` rules=[${a.ruleIds.join(',')}] reason=${a.reason}`;
      }
      expect(wrong.slice(0, 20)).toEqual([]);

      // Every output names the ruleset that decided it (one ruleset for the whole run).
      const rulesets = new Set(
        [...outputs.clean, ...outputs.redacted, ...outputs.quarantined].map((m) =>
          headerString(m, 'sluice-ruleset'),
        ),
      );
      expect([...rulesets]).toEqual([expect.stringMatching(/^rs-[0-9a-f]{8}$/)]);

      // No secret or PII value from the input in any clean or redacted record's bytes.
      expect(findSecretsInOutputs([...outputs.clean, ...outputs.redacted], fx.secrets())).toEqual([]);

      // Every audit record names the output it went to, and agrees with it (range records of
      // clean keystrokes cover consecutive source and output offsets).
      if (cleanRanges === 'none') expect(audit.length).toBe(total);
      else expect(audit.length).toBeLessThan(total);
      for (const [coord, list] of index.bySource) {
        const a = audited.byCoord.get(coord)!;
        expect(a.outputTopic).toBe(list[0]!.message.topic);
        expect(String(a.outputOffsetOf)).toBe(list[0]!.message.offset);
        expect(a.verdict).toBe(list[0]!.verdict.toUpperCase());
      }

      // Quarantined payloads decrypt, with security's private key and the record's own data key
      // (the default crypto-shredding layout), to the original key and value bytes.
      const privateKey = createPrivateKey(readFileSync(fx.keys.privateKeyFile));
      const sample = outputs.quarantined.slice(0, 25);
      expect(sample.length).toBeGreaterThan(0);
      for (const m of sample) {
        const envelope = decodeAvro(fx.registry, m.value!).value as QuarantineEnvelope;
        expect(envelope.payload['io.sluice.EncryptedPayload']?.alg).toBe(DEK_PAYLOAD_ALG);
        const opened = await openQuarantined(
          fx.kafka,
          fx.registry,
          `e2e-review-${fx.id}`,
          { at: { topic: m.topic, partition: m.partition, offset: m.offset }, envelope },
          privateKey,
        );
        const src = `${envelope.source.topic}/${envelope.source.partition}/${envelope.source.offset}`;
        expect(headerString(m, 'sluice-verdict')).toBe('quarantined');
        expect(opened.value).toEqual(fx.rawValues.get(src));
        expect(opened.key).toEqual(fx.rawKeys.get(src));
      }
    },
  );
});
