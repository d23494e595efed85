import { isKafkajsTimeoutWarning } from '../../src/kafka/kafkajs-timeout-warning';

const KAFKAJS_STACK = [
  'Error',
  '    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)',
  '    at RequestQueue.checkPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:297:10)',
].join('\n');
const OUR_STACK = 'Error\n    at Object.<anonymous> (/app/services/scrubber/src/x.ts:1:1)';

describe('kafkajs TimeoutNegativeWarning filter', () => {
  test('drops the TimeoutNegativeWarning kafkajs request queue causes (every call form)', () => {
    expect(
      isKafkajsTimeoutWarning(['-17 is a negative number.', 'TimeoutNegativeWarning'], KAFKAJS_STACK),
    ).toBe(true);
    expect(
      isKafkajsTimeoutWarning(
        ['-17 is a negative number.', { type: 'TimeoutNegativeWarning' }],
        KAFKAJS_STACK,
      ),
    ).toBe(true);
    const e = new Error('-17 is a negative number.');
    e.name = 'TimeoutNegativeWarning';
    expect(isKafkajsTimeoutWarning([e], KAFKAJS_STACK)).toBe(true);
  });

  test('keeps the same warning from our code, and every other warning from kafkajs', () => {
    expect(isKafkajsTimeoutWarning(['-17 is a negative number.', 'TimeoutNegativeWarning'], OUR_STACK)).toBe(
      false,
    );
    expect(isKafkajsTimeoutWarning(['deprecated', 'DeprecationWarning'], KAFKAJS_STACK)).toBe(false);
    expect(isKafkajsTimeoutWarning(['plain'], KAFKAJS_STACK)).toBe(false);
  });
});
