#!/usr/bin/env node
import '../kafka/kafkajs-mends';
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
import { startLiveSummary } from './live-summary';
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';

async function main(): Promise<void> {
  const rate = Number(process.env.SLUICE_DEMO_RATE ?? 400);
  const keysDir = resolve(process.env.SLUICE_DEMO_KEYS ?? '.cache/demo/keys');
  const config = loadConfig({
    env: {
      ...process.env,
      SLUICE_FINGERPRINT_KEY:
        process.env.SLUICE_FINGERPRINT_KEY ?? readFileSync(join(keysDir, 'fingerprint.key'), 'utf8').trim(),
      SLUICE_QUARANTINE_PUBLIC_KEY_FILE:
        process.env.SLUICE_QUARANTINE_PUBLIC_KEY_FILE ?? join(keysDir, 'quarantine-public.pem'),
      SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn',
      SLUICE_GROUP_ID: process.env.SLUICE_GROUP_ID ?? 'sluice-demo',
    },
  });
  const logger = createLogger(config.log.level, { instance: config.instanceId });
  const kafka = new Kafka({
    clientId: 'sluice-demo',
    brokers: [...config.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const raw = config.sources
    .filter((s) => !existing.has(s.topic))
    .map((s) => ({ topic: s.topic, numPartitions: 3 }));
  if (raw.length > 0) await admin.createTopics({ topics: raw, waitForLeaders: true });
  await admin.disconnect();

  const scrubber = new Scrubber({ config, logger });
  await scrubber.start();
  // The canary (services/canary) injects tagged fake secrets and reports any escape.
  const canaryMain = resolve(__dirname, '../../../canary/dist/main.js');
  let canary: ChildProcess | null = null;
  const urls: string[] = [];
  if (existsSync(canaryMain) && process.env.SLUICE_DEMO_CANARY !== '0') {
    const port = await freePort();
    canary = fork(canaryMain, [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {
        ...process.env,
        KAFKA_BROKERS: config.kafka.brokers.join(','),
        SLUICE_CANARY_HTTP_PORT: String(port),
        SLUICE_LOG_LEVEL: 'warn',
      },
    });
    urls.push(`http://127.0.0.1:${port}/metrics`);
  }
  const summary = startLiveSummary({ registries: [scrubber.metrics.registry], urls, intervalMs: 1000 });
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
    producer
      .sendBatch({ topicMessages })
      .catch((err: Error) => logger.warn({ err: err.message }, 'demo produce failed'));
  }, tickMs);

  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(traffic);
    summary.stop();
    canary?.kill('SIGTERM');
    process.stdout.write('\nstopping: draining in-flight batches...\n');
    await producer.disconnect();
    await scrubber.stop();
    await summary.tick().catch(() => '');
    process.stdout.write('stopped. The local broker keeps running: `npm run kafka:stop` stops it.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const seconds = Number(process.env.SLUICE_DEMO_SECONDS ?? 0);
  if (seconds > 0) setTimeout(() => void stop(), seconds * 1000);
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

main().catch((err: Error) => {
  process.stderr.write(`sluice demo: ${err.message}\n`);
  process.exit(1);
});
