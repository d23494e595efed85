import { CHECK_PENDING_INTERVAL_MS } from '../../src/kafka/kafkajs-request-queue-timer';

/** The parts of kafkajs' RequestQueue (src/network/requestQueue) the test drives. */
interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  push(r: {
    entry: Record<string, unknown>;
    expectResponse: boolean;
    sendRequest: () => void;
    requestTimeout?: number;
  }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  destroy(): void;
}
type QueueCtor = new (opts: Record<string, unknown>) => Queue;

const silent = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
};

/** kafkajs' RequestQueue class: with the mend installed (this test file's registry) or as shipped. */
function requestQueueClass(mended: boolean): QueueCtor {
  let cls: QueueCtor | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs internals, untyped CommonJS
    if (mended) require('../../src/kafka/kafkajs-request-queue-timer');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs internals, untyped CommonJS
    cls = require('kafkajs/src/network/requestQueue') as QueueCtor;
  });
  return cls!;
}

function newQueue(mended: boolean, maxInFlightRequests: number | null = null) {
  const RequestQueue = requestQueueClass(mended);
  const q = new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
  });
  const sent: number[] = [];
  const answered: number[] = [];
  let nextId = 1;
  const push = () => {
    const correlationId = nextId++;
    q.push({
      entry: {
        correlationId,
        apiKey: 0,
        apiName: 'Produce',
        apiVersion: 3,
        resolve: () => answered.push(correlationId),
        reject: () => undefined,
      },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
    return correlationId;
  };
  const answer = (correlationId: number) =>
    q.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
  return { q, push, answer, sent, answered };
}

/** How often the queue checks itself over `ms` of (fake) time. */
function checksOver(q: Queue, ms: number): number {
  let checks = 0;
  const orig = q.checkPendingRequests.bind(q);
  q.checkPendingRequests = () => {
    checks++;
    orig();
  };
  jest.advanceTimersByTime(ms);
  return checks;
}

describe('kafkajs request queue timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('as shipped, an answered request leaves a 1 ms timer that re-arms itself for ever', () => {
    const { q, push, answer } = newQueue(false);
    answer(push());
    expect(jest.getTimerCount()).toBe(1);
    // Node runs the negative delay after 1 ms: ~1,000 checks per second with nothing to do.
    expect(checksOver(q, 1000)).toBeGreaterThanOrEqual(900);
    expect(jest.getTimerCount()).toBe(1);
    q.destroy();
  });

  test('mended, an answered request with nothing pending leaves no timer', () => {
    const { q, push, answer, answered } = newQueue(true);
    for (let i = 0; i < 5; i++) answer(push());
    expect(answered).toEqual([1, 2, 3, 4, 5]);
    expect(jest.getTimerCount()).toBe(0);
    expect(checksOver(q, 1000)).toBe(0);
    q.destroy();
  });

  test('a request waiting for an in-flight slot is sent when the slot frees, as before', () => {
    for (const mended of [false, true]) {
      const { q, push, answer, sent, answered } = newQueue(mended, 1);
      const a = push();
      const b = push();
      expect(sent).toEqual([a]);
      expect(q.pending).toHaveLength(1);
      answer(a);
      expect(sent).toEqual([a, b]);
      answer(b);
      expect(answered).toEqual([a, b]);
      q.destroy();
      if (mended) expect(jest.getTimerCount()).toBe(0);
    }
  });

  test('a request queued while throttled is sent when the throttle ends, then the queue is quiet', () => {
    const { q, push, answer, sent } = newQueue(true);
    q.maybeThrottle(50);
    const a = push();
    expect(sent).toEqual([]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([a]);
    answer(a);
    expect(jest.getTimerCount()).toBe(0);
    q.destroy();
  });

  test('pending requests are looked at again after kafkajs own interval while nothing frees a slot', () => {
    const { q, push, sent } = newQueue(true, 1);
    const a = push();
    push();
    expect(sent).toEqual([a]);
    // A slot that frees without an answer (kafkajs' request timeout path calls checkPendingRequests
    // itself); here nothing frees it, so the periodic check finds the queue still full.
    expect(checksOver(q, CHECK_PENDING_INTERVAL_MS)).toBe(1);
    expect(sent).toEqual([a]);
    q.inflight.clear();
    expect(checksOver(q, CHECK_PENDING_INTERVAL_MS)).toBe(1);
    expect(sent).toHaveLength(2);
    q.destroy();
  });
});
