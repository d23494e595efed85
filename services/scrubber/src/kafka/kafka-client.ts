// Must come before kafkajs is first required (see the module).
import './kafkajs-mends';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type SASLOptions, type KafkaConfig } from 'kafkajs';
import type { Logger } from '../log/logger';
import type { KafkaSection } from '../config/schema';
import { registerCompressionCodecs } from './compression';

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * Retriable answers kafkajs logs at ERROR that normal operation produces. "does not host this
 * topic-partition": a topic created a moment ago (the data-key topic on a fresh cluster) is not
 * yet in every broker's metadata cache under KRaft; kafkajs retries, and a topic that stays
 * missing fails the call that needs it with an error of its own.
 */
const EXPECTED_RETRIABLE =
  /concurrent operation on the same transaction|coordinator is loading|coordinator is not available|not the correct coordinator|rebalanc|Limiting retries for the idempotent producer|does not host this topic-partition/i;

/** Routes kafkajs' own log lines into pino. kafkajs logs broker errors, never message payloads. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      let name = LEVEL_NAMES[level] ?? 'info';
      // kafkajs logs retriable protocol answers at ERROR; they are part of normal operation
      // (the next transaction starting while the broker finishes the last commit, a coordinator
      // loading after a restart) and are retried. Real failures surface as thrown errors.
      if (
        (name === 'error' || name === 'warn') &&
        EXPECTED_RETRIABLE.test(`${message} ${String(rest.error ?? '')}`)
      )
        name = 'debug';
      logger[name]({ kafkajs: rest }, `kafkajs: ${message}`);
    };
}

/** kafkajs settings from a `kafka` section (scrubber, CLI and canary configs all have one). */
export function kafkaConfigFrom(
  config: { readonly kafka: KafkaSection },
  logger: Logger,
  clientIdSuffix = '',
): KafkaConfig {
  const k = config.kafka;
  let ssl: KafkaConfig['ssl'];
  if (k.ssl === true) ssl = true;
  else if (k.ssl && typeof k.ssl === 'object') {
    ssl = {
      rejectUnauthorized: k.ssl.rejectUnauthorized,
      ...(k.ssl.caFile ? { ca: [readFileSync(k.ssl.caFile, 'utf8')] } : {}),
      ...(k.ssl.certFile ? { cert: readFileSync(k.ssl.certFile, 'utf8') } : {}),
      ...(k.ssl.keyFile ? { key: readFileSync(k.ssl.keyFile, 'utf8') } : {}),
    };
  }
  const sasl: SASLOptions | undefined = k.sasl
    ? ({ mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions)
    : undefined;
  return {
    clientId: `${k.clientId}${clientIdSuffix}`,
    brokers: [...k.brokers],
    connectionTimeout: k.connectionTimeoutMs,
    requestTimeout: k.requestTimeoutMs,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
    logLevel: KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
  };
}

export function createKafka(
  config: { readonly kafka: KafkaSection },
  logger: Logger,
  clientIdSuffix = '',
): Kafka {
  // kafkajs decodes only gzip on its own; snappy, lz4 and zstd batches would stall a partition.
  registerCompressionCodecs();
  return new Kafka(kafkaConfigFrom(config, logger, clientIdSuffix));
}
