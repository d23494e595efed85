import { Writable } from 'node:stream';
import pino from 'pino';
import { logLevel } from 'kafkajs';
import { kafkaConfigFrom } from '../../src/kafka/kafka-client';
import { kafkaSectionSchema } from '../../src/config/schema';

function capture(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const kafka = kafkaSectionSchema('test').parse(undefined);

function logThrough(level: logLevel, message: string, error: string): { level: number; msg: string } {
  const { logger, lines } = capture();
  const creator = kafkaConfigFrom({ kafka }, logger).logCreator!;
  creator(logLevel.DEBUG)({
    namespace: 'Connection',
    level,
    label: 'ERROR',
    log: { timestamp: '', logger: 'kafkajs', message, error },
  });
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('kafkajs log levels', () => {
  test('retriable answers of normal operation are logged at debug', () => {
    for (const error of [
      'This server does not host this topic-partition',
      'The coordinator is loading and hence can not process requests',
      'There is a newer producer with the same transactionalId which fences the current one: concurrent operation on the same transaction',
    ]) {
      const line = logThrough(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', error);
      expect(line.level).toBe(20);
      expect(line.msg).toBe('kafkajs: Response Metadata(key: 3, version: 6)');
    }
  });

  test('other errors keep their level', () => {
    expect(
      logThrough(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'Broker: Message size too large')
        .level,
    ).toBe(50);
    expect(logThrough(logLevel.WARN, 'Connection error', 'ECONNREFUSED').level).toBe(40);
  });
});
