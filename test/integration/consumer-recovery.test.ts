// In-process consumer recovery, against the real broker: kafkajs sometimes gives up for good on
// an error it calls non-retriable although the broker is only away for a moment ("Failed to find
// group coordinator" while the only broker restarts), and emits CRASH with restart: false. The
// crash itself is rare and timing-dependent, so the test makes kafkajs' give-up happen on cue: the
// real consumer is disconnected (what kafkajs does before giving up) and the CRASH listener the
// pipeline registered is called with that error. The pipeline must connect and run again, lose
// and duplicate nothing; an authorization error in the same place must stay fatal.
import type { Consumer, Kafka } from 'kafkajs';
import pino from 'pino';
import { Writable } from 'node:stream';
import { Cleanup, kafkaClient, waitFor } from '../support/kafka';
import { PipelineFixture } from '../support/pipeline-fixture';
import { checkExactlyOnce, checkVerdicts, indexOutputs, summarise } from '../support/invariants';
import { Scrubber } from '../../services/scrubber/src/scrubber';

jest.setTimeout(180_000);

type CrashListener = (e: { payload: { error: Error; restart: boolean } }) => void;

/** The real client; its consumers are real too, but the test keeps the pipeline's CRASH listener. */
function withCrashHook(real: Kafka): { kafka: Kafka; consumer: () => Consumer; crash: () => CrashListener } {
  let consumer: Consumer | null = null;
  let crash: CrashListener | null = null;
  const kafka = new Proxy(real, {
    get(target, prop) {
      if (prop !== 'consumer') return Reflect.get(target, prop, target) as unknown;
      return (cfg: Parameters<Kafka['consumer']>[0]) => {
        const c = target.consumer(cfg);
        consumer = c;
        const on = c.on.bind(c);
        // kafkajs' `on` is overloaded per event; the hook only needs to see which one is CRASH.
        (c as { on: unknown }).on = (event: string, fn: CrashListener) => {
          if (event === c.events.CRASH) crash = fn;
          return on(event as typeof c.events.CRASH, fn as Parameters<typeof on>[1]);
        };
        return c;
      };
    },
  });
  return {
    kafka,
    consumer: () => consumer ?? fail('no consumer created'),
    crash: () => crash ?? fail('no CRASH listener registered'),
  };
}

function fail(what: string): never {
  throw new Error(what);
}

function giveUp(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('consumer recovery after kafkajs gives up', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function start(fx: PipelineFixture) {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    const config = fx.inProcessConfig({ http: { enabled: false } });
    const hook = withCrashHook(kafkaClient(`recovery-${fx.id}`));
    const scrubber = new Scrubber({ config, logger, kafka: hook.kafka });
    cleanup.defer('stop scrubber', () => scrubber.stop());
    await scrubber.start();
    const fatal: Error[] = [];
    scrubber.onFatal((e) => fatal.push(e));
    return { scrubber, hook, lines, fatal };
  }

  test('a broker outage kafkajs calls non-retriable: connect and run again, exactly once', async () => {
    const fx = new PipelineFixture(cleanup, 2);
    await fx.createRawTopics();
    await fx.seed(400, { seed: 31 });
    const { scrubber, hook, lines, fatal } = await start(fx);
    await fx.readOutputs(fx.inputs.length, 60_000);

    await hook.consumer().disconnect();
    hook.crash()({
      payload: {
        error: giveUp('KafkaJSNonRetriableError', 'Failed to find group coordinator'),
        restart: false,
      },
    });
    await fx.seed(400, { seed: 32 });
    const { outputs } = await fx.readOutputs(fx.inputs.length, 90_000);
    await waitFor(() => lines.some((l) => l.includes('consumer restarted after kafkajs gave up')), {
      what: 'the recovery log line',
      deadlineMs: 10_000,
    });

    const index = indexOutputs(outputs);
    const report = checkExactlyOnce(fx.inputs, index);
    process.stdout.write(`consumer-recovery: ${summarise(report)}\n`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(checkVerdicts(index, fx.expectations)).toEqual([]);
    expect(fatal).toEqual([]);
    expect(scrubber.pipelineStatus).toBe('running');
  });

  test('an authorization error stays fatal: no restart, the process is told to exit', async () => {
    const fx = new PipelineFixture(cleanup, 1);
    await fx.createRawTopics();
    const { scrubber, hook, lines, fatal } = await start(fx);
    await hook.consumer().disconnect();
    hook.crash()({
      payload: {
        error: giveUp('KafkaJSProtocolError', 'Not authorized to access group: sluice'),
        restart: false,
      },
    });
    await waitFor(() => fatal.length > 0, { what: 'the fatal callback', deadlineMs: 10_000 });
    expect(fatal[0]!.message).toContain('Not authorized');
    expect(scrubber.pipelineStatus).toBe('failed');
    expect(lines.some((l) => l.includes('consumer restarted'))).toBe(false);
  });
});
