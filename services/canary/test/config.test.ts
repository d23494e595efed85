import { loadCanaryConfig } from '../src/config';

describe('canary config', () => {
  test('defaults follow the scrubber: raw.chat / raw.telemetry and their clean/redacted outputs', () => {
    const c = loadCanaryConfig({ env: {} });
    expect(c.chat).toEqual({
      name: 'chat',
      topic: 'raw.chat',
      clean: 'clean.chat',
      redacted: 'redacted.chat',
    });
    expect(c.telemetry?.redacted).toBe('redacted.telemetry');
    expect(c.canary.types).toContain('keystroke');
    expect(Object.isFrozen(c.canary)).toBe(true);
  });

  test('KAFKA_BROKERS and SLUICE_CANARY__SECTION__KEY overrides', () => {
    const c = loadCanaryConfig({
      env: {
        KAFKA_BROKERS: 'a:1,b:2',
        SLUICE_CANARY__CANARY__INTERVAL_MS: '250',
        SLUICE_FINGERPRINT_KEY: 'ignored',
      },
    });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.canary.intervalMs).toBe(250);
  });

  test('unknown keys and types are rejected with the key named', () => {
    expect(() => loadCanaryConfig({ env: {}, overrides: { canary: { types: ['ssn'] } } })).toThrow(
      /canary\.types\.0/,
    );
    expect(() => loadCanaryConfig({ env: {}, overrides: { canry: {} } })).toThrow(/canry|unrecognized/i);
  });

  test('a type without a source of its kind is a config error', () => {
    expect(() =>
      loadCanaryConfig({
        env: {},
        overrides: {
          sources: [{ name: 'chat', topic: 'raw.chat', kind: 'chat' }],
          canary: { types: ['keystroke'] },
        },
      }),
    ).toThrow(/keystroke.*telemetry/);
  });
});
