import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { resolve } from 'node:path';
import { SchemaRegistry } from '../codec/schema-registry';
import { loadConfig, type SluiceConfig } from '../config/load-config';
import { describeError, SluiceError } from '../errors';
import { createKafka } from '../kafka/kafka-client';
import type { Logger } from '../log/logger';

/**
 * What the review and admin commands (quarantine, audit, acl) share: the scrubber's own config
 * file (so topic names agree), with the caller's Kafka identity (kafka.sasl in that file or
 * SLUICE__KAFKA__SASL='{"mechanism":...}'), and a logger on stderr so stdout stays parseable.
 */
export interface ToolContext {
  config: SluiceConfig;
  registry: SchemaRegistry;
  kafka: Kafka;
  logger: Logger;
}

export function toolContext(opts: { config?: string | undefined; logLevel?: string }): ToolContext {
  const config = loadConfig({ file: opts.config });
  const logger = pino(
    { level: opts.logLevel ?? process.env.SLUICE_LOG_LEVEL ?? 'error', base: { service: 'sluice-cli' } },
    pino.destination(2),
  );
  const registry = SchemaRegistry.load(
    config.schemas.registryFile ? resolve(config.schemas.registryFile) : undefined,
  );
  return { config, registry, kafka: createKafka(config, logger, '-cli'), logger };
}

/** Exit codes of the tools: 0 ok, 2 usage/config, 3 refused (no key, already released, shredded), 1 other. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof SluiceError)) return 1;
  switch (err.code) {
    case 'SLUICE_PRIVATE_KEY_MISSING':
    case 'SLUICE_ALREADY_RELEASED':
    case 'SLUICE_RELEASE_REFUSED':
    case 'SLUICE_PAYLOAD_SHREDDED':
    case 'SLUICE_FILE_EXISTS':
      return 3;
    case 'SLUICE_CONFIG_INVALID':
      return 2;
    default:
      return 1;
  }
}

/** Wraps a command action: errors print as `sluice: [CODE] message (hint)` on stderr, never a stack. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const e = describeError(err);
      process.stderr.write(`sluice: [${e.code}] ${e.message}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}
