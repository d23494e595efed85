#!/usr/bin/env node
// Before kafkajs loads, the same kafkajs mends as the scrubber (see each module).
import '@sluice/scrubber/dist/kafka/kafkajs-mends';
import { createLogger } from '@sluice/scrubber/dist/log/logger';
import { describeError } from '@sluice/scrubber/dist/errors';
import { loadCanaryConfig } from './config';
import { CanaryService } from './canary-service';

const USAGE =
  'usage: node services/canary/dist/main.js [--config <file.yaml>]  (env: KAFKA_BROKERS, SLUICE_CANARY__SECTION__KEY=value)';

function parseArgs(argv: string[]): { config?: string } {
  const out: { config?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') out.config = argv[++i];
    else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return out;
}

/** `sluice-canary`: SIGTERM/SIGINT stop sending, wait for the send in flight, exit 0. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadCanaryConfig({ file: args.config });
  const logger = createLogger(config.log.level, { service: 'sluice-canary', instance: config.instanceId });
  const service = new CanaryService(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal, sent: service.sent }, 'canary stopping');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: describeError(err).message }, 'canary shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err: describeError(err).message }, 'canary failed to start');
    await service.stop().catch(() => undefined);
    process.exit(1);
  }
  process.send?.({ type: 'sluice-canary-started', httpPort: service.httpPort });
}

main().catch((err: unknown) => {
  process.stderr.write(`sluice-canary: ${describeError(err).message}\n`);
  process.exit(2);
});
