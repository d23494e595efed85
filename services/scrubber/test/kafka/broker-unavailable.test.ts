import { isBrokerUnavailable } from '../../src/kafka/scrubber-pipeline';

function err(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('isBrokerUnavailable (in-process consumer recovery)', () => {
  test('a broker outage kafkajs calls non-retriable is recovered in-process', () => {
    expect(isBrokerUnavailable(err('KafkaJSNonRetriableError', 'Failed to find group coordinator'))).toBe(
      true,
    );
    expect(
      isBrokerUnavailable(
        err('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
      ),
    ).toBe(true);
    expect(
      isBrokerUnavailable(
        err('KafkaJSProtocolError', 'This server is not the leader for that topic-partition'),
      ),
    ).toBe(true);
  });

  test('authorization and authentication failures stay fatal', () => {
    expect(isBrokerUnavailable(err('KafkaJSProtocolError', 'Not authorized to access group: sluice'))).toBe(
      false,
    );
    expect(
      isBrokerUnavailable(
        err('KafkaJSSASLAuthenticationError', 'SASL SCRAM-SHA-512 authentication failed: connection closed'),
      ),
    ).toBe(false);
    expect(isBrokerUnavailable(err('Error', 'no processor for topic raw.x'))).toBe(false);
  });
});
