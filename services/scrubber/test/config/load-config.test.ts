import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, envOverrides } from '../../src/config/load-config';
import type { SluiceError } from '../../src/errors';
import { keyIdOf } from '../../src/quarantine/payload-cipher';

function keys(kind: 'x25519' | 'ed25519' = 'x25519') {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const pub = join(dir, 'pub.pem');
  writeFileSync(pub, generateKeyPairSync(kind as 'x25519').publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, pub };
}

const KEY = 'ab'.repeat(32);

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { SLUICE_FINGERPRINT_KEY: KEY, SLUICE_QUARANTINE_PUBLIC_KEY_FILE: keys().pub, ...extra };
}

function errorOf(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    return e as SluiceError;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  test('defaults work against a local broker and are frozen', () => {
    const c = loadConfig({ env: env() });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.sources.map((s) => s.topic)).toEqual(['raw.telemetry', 'raw.chat']);
    expect(c.sources[1]!.outputs).toEqual({
      clean: 'clean.chat',
      redacted: 'redacted.chat',
      quarantine: 'quarantine.chat',
    });
    expect(c.fingerprintKey).toHaveLength(32);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.sources[0])).toBe(true);
  });

  test('the quarantine key id defaults to the one derived from the public key; a set id wins', () => {
    const e = env();
    const c = loadConfig({ env: e });
    expect(c.quarantineKeyId).toBe(keyIdOf(c.quarantinePublicKey));
    expect(c.quarantineKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(loadConfig({ env: { ...e, SLUICE_QUARANTINE_KEY_ID: 'prod-2026' } }).quarantineKeyId).toBe(
      'prod-2026',
    );
  });

  test('YAML file, then environment overrides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'group:\n  id: from-file\nscan:\n  workers: 3\n');
    const c = loadConfig({
      file,
      env: env({ KAFKA_BROKERS: 'a:1, b:2', SLUICE__SCAN__TASK_TIMEOUT_MS: '1234' }),
    });
    expect(c.group.id).toBe('from-file');
    expect(c.scan.workers).toBe(3);
    expect(c.scan.taskTimeoutMs).toBe(1234);
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
  });

  test('an unknown key is an error naming it', () => {
    const e = errorOf(() => loadConfig({ env: env(), overrides: { scan: { wrokers: 2 } } }));
    expect(e.code).toBe('SLUICE_CONFIG_INVALID');
    expect(e.message).toMatch(/scan/);
    expect(e.message).toMatch(/wrokers/);
  });

  test('a bad value names the key, the value and the expected form', () => {
    const e = errorOf(() => loadConfig({ env: env({ KAFKA_BROKERS: 'localhost' }) }));
    expect(e.message).toMatch(/kafka\.brokers\.0/);
    expect(e.message).toMatch(/host:port/);
    expect(e.message).toMatch(/"localhost"/);
  });

  test('missing secrets fail with what to do', () => {
    expect(errorOf(() => loadConfig({ env: {} })).message).toMatch(/SLUICE_FINGERPRINT_KEY/);
    expect(errorOf(() => loadConfig({ env: { SLUICE_FINGERPRINT_KEY: KEY } })).message).toMatch(
      /sluice keys generate/,
    );
    expect(errorOf(() => loadConfig({ env: env({ SLUICE_FINGERPRINT_KEY: 'abcd' }) })).message).toMatch(
      /at least 32 bytes/,
    );
  });

  test('a non-X25519 public key is refused', () => {
    const e = errorOf(() =>
      loadConfig({ env: env({ SLUICE_QUARANTINE_PUBLIC_KEY_FILE: keys('ed25519').pub }) }),
    );
    expect(e.message).toMatch(/X25519/);
  });

  test('secret values are never echoed in errors', () => {
    const e = errorOf(() => loadConfig({ env: env(), overrides: { secrets: { fingerprintKey: 12345 } } }));
    expect(e.message).toMatch(/<hidden>/);
    expect(e.message).not.toMatch(/12345/);
  });

  test('outputs may not loop back into inputs or be shared', () => {
    const loop = errorOf(() =>
      loadConfig({
        env: env(),
        overrides: {
          sources: [
            { name: 'a', topic: 'x' },
            { name: 'b', topic: 'clean.a' },
          ],
        },
      }),
    );
    expect(loop.message).toMatch(/also an input topic/);
    const json = errorOf(() =>
      loadConfig({ env: env(), overrides: { sources: [{ name: 'a', topic: 'x', format: 'json' }] } }),
    );
    expect(json.message).toMatch(/jsonSchemaId/);
  });

  test('envOverrides maps SLUICE__ paths to camelCase', () => {
    expect(envOverrides({ SLUICE__GROUP__PARTITIONS_CONSUMED_CONCURRENTLY: '8' })).toEqual([
      {
        path: ['group', 'partitionsConsumedConcurrently'],
        value: 8,
        from: 'SLUICE__GROUP__PARTITIONS_CONSUMED_CONCURRENTLY',
      },
    ]);
  });
});
