#!/usr/bin/env node
/**
 * `npm run demo`: the whole pipeline on a local broker with synthetic traffic.
 * Creates the raw topics, runs the scrubber in-process, produces chat and telemetry with some
 * secrets and personal data in them, and prints a live summary until Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { loadConfig } from '../config/load-config';
import { createLogger } from '../log/logger';
import { Scrubber } from '../scrubber';
import { SchemaRegistry } from '../codec/schema-registry';
import { TrafficGenerator } from './traffic-generator';
import { ConsoleSummary } from './console-summary';

async function main(): Promise<void> {
  const rate = Number(process.env.SLUICE_DEMO_RATE ?? 400);
  const keysDir = resolve(process.env.SLUICE_DEMO_KEYS ?? '.cache/demo/keys');
  const config = loadConfig({
    env: {
      ...process.env,
      SLUICE_FINGERPRINT_KEY: process.env.SLUICE_FINGERPRINT_KEY ?? readFileSync(join(keysDir, 'fingerprint.key'), 'utf8').trim(),
      SLUICE_QUARANTINE_PUBLIC_KEY_FILE: process.env.SLUICE_QUARANTINE_PUBLIC_KEY_FILE ?? join(keysDir, 'quarantine-public.pem'),
      SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn',
      SLUICE_GROUP_ID: process.env.SLUICE_GROUP_ID ?? 'sluice-demo',
    },
  });
  const logger = createLogger(config.log.level, { instance: config.instanceId });
  const kafka = new Kafka({ clientId: 'sluice-demo', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const raw = config.sources.filter((s) => !existing.has(s.topic)).map((s) => ({ topic: s.topic, numPartitions: 3 }));
  if (raw.length > 0) await admin.createTopics({ topics: raw, waitForLeaders: true });
  await admin.disconnect();

  const scrubber = new Scrubber({ config, logger });
  await scrubber.start();
  const summary = new ConsoleSummary(scrubber.metrics.registry, process.stdout);
  process.stdout.write(
    `sluice demo: ${rate} records/s into ${config.sources.map((s) => s.topic).join(', ')} on ${config.kafka.brokers.join(',')}\n` +
      `metrics: http://${config.http.host}:${scrubber.httpPort}/metrics   (Ctrl-C to stop)\n`,
  );

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const gen = new TrafficGenerator(SchemaRegistry.load(), { seed: Date.now() % 100000, sensitiveRate: 0.03 });
  const chat = config.sources.find((s) => s.kind === 'chat');
  const tele = config.sources.find((s) => s.kind === 'telemetry');
  let stopping = false;
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const traffic = setInterval(() => {
    if (stopping) return;
    const chatMsgs = [];
    const teleMsgs = [];
    for (let i = 0; i < perTick; i++) {
      if (i % 2 === 0 && chat) {
        const r = gen.chat();
        chatMsgs.push({ key: r.key, value: r.value, headers: r.headers });
      } else if (tele) {
        const r = gen.telemetry();
        teleMsgs.push({ key: r.key, value: r.value, headers: r.headers });
      }
    }
    const topicMessages = [];
    if (chat && chatMsgs.length) topicMessages.push({ topic: chat.topic, messages: chatMsgs });
    if (tele && teleMsgs.length) topicMessages.push({ topic: tele.topic, messages: teleMsgs });
    producer.sendBatch({ topicMessages }).catch((err: Error) => logger.warn({ err: err.message }, 'demo produce failed'));
  }, tickMs);
  const ticker = setInterval(() => void summary.print(), 1000);

  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(traffic);
    clearInterval(ticker);
    process.stdout.write('\nstopping: draining in-flight batches...\n');
    await producer.disconnect();
    await scrubber.stop();
    await summary.print();
    process.stdout.write('stopped. The local broker keeps running: `npm run kafka:stop` stops it.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const seconds = Number(process.env.SLUICE_DEMO_SECONDS ?? 0);
  if (seconds > 0) setTimeout(() => void stop(), seconds * 1000);
}

main().catch((err: Error) => {
  process.stderr.write(`sluice demo: ${err.message}\n`);
  process.exit(1);
});
