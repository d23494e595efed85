// Leak hygiene (issue 6, item 7): during an end-to-end run, nothing that leaves the scrubber for
// operators or security's metadata readers carries a secret value that went in. Scanned:
// every log line of the scrubber process (at debug level), every /metrics sample scraped while it
// ran, every audit record (bytes and decoded fields), every quarantine envelope minus its
// ciphertext (bytes fields as latin1 so raw bytes would show, plus its Kafka key and headers),
// and every data-key record. Secrets: those the traffic generator put in, plus undecodable records
// that carry one (their decoder errors must not echo payload bytes).
import { expandAudit } from '../support/audit';
import { readFileSync } from 'node:fs';
import { Cleanup, consumeAll, produce, waitFor, type ConsumedMessage } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { ScrubberProcess } from '../support/scrubber-process';
import { decodeAvro } from '../../services/scrubber/src/codec/record-codec';
import { AWS_ID, GHP, CARD } from '../../services/scrubber/test/scan/support/engine';

jest.setTimeout(600_000);

const N = Number(process.env.SLUICE_LEAK_RECORDS ?? 1500);

/** Decoded Avro as text: strings as they are, bytes as latin1 (so embedded raw bytes would match). */
function flatten(v: unknown, out: string[], skip: ReadonlySet<string> = new Set(), key = ''): void {
  if (skip.has(key)) return;
  if (v === null || v === undefined) return;
  if (Buffer.isBuffer(v)) out.push(v.toString('latin1'), v.toString('utf8'));
  else if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (v instanceof Date) out.push(v.toISOString());
  else if (Array.isArray(v)) for (const x of v) flatten(x, out, skip, key);
  else if (typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, out, skip, k);
}

function messageTexts(m: ConsumedMessage): string[] {
  const out: string[] = [];
  if (m.key) out.push(m.key.toString('latin1'));
  for (const v of Object.values(m.headers))
    for (const one of Array.isArray(v) ? v : [v])
      if (one !== undefined) out.push(Buffer.isBuffer(one) ? one.toString('latin1') : String(one));
  return out;
}

describe('leak hygiene end to end', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test(`${N} records: no secret in logs, metrics, audit or quarantine metadata`, async () => {
    const fx = new PipelineFixture(cleanup);
    await fx.createRawTopics();
    await fx.seed(N, { seed: 23, sensitiveRate: 0.25 });
    // Undecodable records that carry secrets: quarantined as SLUICE_DECODE_FAILED.
    const embedded = [`AWS ${AWS_ID}`, `tok=${GHP}`, `cc ${CARD}`];
    await produce(
      fx.kafka,
      fx.topics.rawChat,
      embedded.map((s, i) => ({
        key: `bad-${i}`,
        value: Buffer.concat([Buffer.from([0xff, 0x00, 0x13]), Buffer.from(s)]),
      })),
    );
    // The seed finishes lines still being typed: count what was produced, not N.
    const total = fx.inputs.length + embedded.length;
    const secrets = [...new Set([...fx.secrets(), AWS_ID, GHP, CARD])].filter((s) => s.length >= 6);
    expect(secrets.length).toBeGreaterThan(20);

    const dataKeyTopic = `sluice.quarantine.keys.${fx.id}`;
    cleanup.defer('delete data-key topic', async () => {
      const admin = fx.kafka.admin();
      await admin.connect();
      try {
        if ((await admin.listTopics()).includes(dataKeyTopic))
          await admin.deleteTopics({ topics: [dataKeyTopic], timeout: 10000 });
      } finally {
        await admin.disconnect();
      }
    });
    const scrubber = new ScrubberProcess({
      config: fx.config({ scan: { workers: 1 }, quarantine: { dataKeys: 'topic', dataKeyTopic } }),
      keys: fx.keys,
      env: { SLUICE_LOG_LEVEL: 'debug' },
    });
    cleanup.defer('stop scrubber', () => scrubber.kill());
    await scrubber.start();

    // Scrape /metrics while the run goes on (every scrape is scanned), until every record is audited.
    const scrapes: string[] = [];
    let audit: ConsumedMessage[] = [];
    const reading = fx.readOutputs(total).then((r) => (audit = r.audit));
    let finished = false;
    void reading.finally(() => (finished = true));
    await waitFor(
      async () => {
        scrapes.push(await scrubber.metrics());
        return finished;
      },
      { what: 'the run to finish while scraping /metrics', deadlineMs: 300_000, intervalMs: 500 },
    );
    await reading;
    scrapes.push(await scrubber.metrics());
    expect(await scrubber.stop()).toBe(0);
    expect(expandAudit(fx.registry, audit).byCoord.size).toBe(total);

    const quarantine = await consumeAll(fx.kafka, {
      topics: fx.topics.outputs.quarantined,
      idleMs: 2000,
      deadlineMs: 60_000,
    });
    const dataKeys = await consumeAll(fx.kafka, { topics: [dataKeyTopic], idleMs: 2000, deadlineMs: 60_000 });
    expect(quarantine.length).toBeGreaterThan(embedded.length);
    expect(dataKeys.length).toBe(quarantine.length);

    const hits: string[] = [];
    const check = (where: string, texts: string[]) => {
      for (const text of texts)
        for (const s of secrets) if (text.includes(s)) hits.push(`${where}: a secret of length ${s.length}`);
    };
    // The detector itself must fire on a known leak, or a pass would prove nothing.
    check('self-test', [`x${secrets[0]!}x`]);
    expect(hits).toHaveLength(1);
    hits.length = 0;
    const logLines = readFileSync(scrubber.logFile, 'utf8').split('\n');
    expect(logLines.length).toBeGreaterThan(10);
    logLines.forEach((l, i) => check(`log line ${i + 1}`, [l]));
    scrapes.forEach((s, i) =>
      check(
        `metrics scrape ${i}`,
        s.split('\n').filter((l) => !l.startsWith('#')),
      ),
    );
    for (const m of audit) {
      const texts = [m.value!.toString('latin1'), ...messageTexts(m)];
      flatten(decodeAvro(fx.registry, m.value!).value, texts);
      check(`audit ${m.partition}/${m.offset}`, texts);
    }
    for (const m of quarantine) {
      const texts = messageTexts(m);
      flatten(decodeAvro(fx.registry, m.value!).value, texts, new Set(['ciphertext']));
      check(`quarantine ${m.topic}/${m.partition}/${m.offset}`, texts);
    }
    for (const m of dataKeys)
      check(`data key ${m.offset}`, [m.value!.toString('latin1'), ...messageTexts(m)]);
    process.stdout.write(
      `leak-hygiene: secrets=${secrets.length} logLines=${logLines.length} scrapes=${scrapes.length} audit=${audit.length} quarantine=${quarantine.length} dataKeys=${dataKeys.length} hits=${hits.length}\n`,
    );
    expect(hits.slice(0, 20)).toEqual([]);
  });
});
