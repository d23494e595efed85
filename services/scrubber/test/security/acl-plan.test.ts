import { loadConfig } from '../../src/config/load-config';
import { aclPlan, toKafkaAclsCommand, type AclBinding } from '../../src/security/acl-plan';
import { generateKeys } from '../../src/cli/keys-command';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'sluice-acl-'));
generateKeys(dir);
const env = {
  SLUICE_FINGERPRINT_KEY: readFileSync(path.join(dir, 'fingerprint.key'), 'utf8').trim(),
  SLUICE_QUARANTINE_PUBLIC_KEY_FILE: path.join(dir, 'quarantine-public.pem'),
};
const config = (extra: Record<string, unknown> = {}) =>
  loadConfig({ env, overrides: { transactions: { idPrefix: 'sx' }, ...extra } });
const grants = (plan: AclBinding[], role: string) => plan.filter((b) => b.role === role);
const ops = (plan: AclBinding[], role: string, name: string) =>
  grants(plan, role)
    .filter((b) => b.resourceName === name)
    .map((b) => b.operation)
    .sort();

describe('ACL plan', () => {
  const plan = aclPlan(config({ quarantine: { dataKeys: 'topic', dataKeyTopic: 'sluice.quarantine.keys' } }));
  const quarantine = ['quarantine.telemetry', 'quarantine.chat'];

  test('trainers read clean and redacted only: never quarantine, audit, raw or data keys, never write', () => {
    const t = grants(plan, 'trainer').filter((b) => b.resourceType === 'TOPIC');
    expect(new Set(t.map((b) => b.resourceName))).toEqual(
      new Set(['clean.telemetry', 'clean.chat', 'redacted.telemetry', 'redacted.chat']),
    );
    expect(t.every((b) => b.operation === 'READ' || b.operation === 'DESCRIBE')).toBe(true);
  });

  test('only security reads quarantine and data keys', () => {
    for (const topic of [...quarantine, 'sluice.quarantine.keys']) {
      const readers = plan
        .filter((b) => b.resourceName === topic && b.operation === 'READ')
        .map((b) => b.role);
      expect(readers).toEqual(['security']);
    }
  });

  test('scrubber: reads raw, writes outputs + audit + data keys, PREFIXED transactional ids on its idPrefix, its group', () => {
    expect(ops(plan, 'scrubber', 'raw.chat')).toEqual(['DESCRIBE', 'READ']);
    for (const t of [
      'clean.chat',
      'redacted.chat',
      'quarantine.chat',
      'sluice.audit',
      'sluice.quarantine.keys',
    ]) {
      expect(ops(plan, 'scrubber', t)).toEqual(['CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'WRITE']);
    }
    const txn = grants(plan, 'scrubber').filter((b) => b.resourceType === 'TRANSACTIONAL_ID');
    expect(txn.map((b) => [b.resourceName, b.pattern, b.operation])).toEqual([
      ['sx', 'PREFIXED', 'WRITE'],
      ['sx', 'PREFIXED', 'DESCRIBE'],
    ]);
    expect(
      grants(plan, 'scrubber')
        .filter((b) => b.resourceType === 'GROUP')
        .map((b) => [b.resourceName, b.pattern, b.operation]),
    ).toEqual([['sluice-scrubber', 'LITERAL', 'READ']]);
    expect(
      grants(plan, 'scrubber').some((b) => b.operation === 'READ' && b.resourceName.startsWith('quarantine')),
    ).toBe(false);
  });

  test('without topics.create the scrubber gets no CREATE', () => {
    const p = aclPlan(config({ topics: { create: false } }));
    expect(p.some((b) => b.operation === 'CREATE')).toBe(false);
  });

  test('security writes clean, redacted and audit with its own PREFIXED transactional id; canary writes raw only; SRE only describes', () => {
    expect(ops(plan, 'security', 'clean.chat')).toEqual(['DESCRIBE', 'WRITE']);
    expect(ops(plan, 'security', 'sluice.audit')).toEqual(['DESCRIBE', 'READ', 'WRITE']);
    expect(grants(plan, 'security').find((b) => b.resourceType === 'TRANSACTIONAL_ID')).toMatchObject({
      resourceName: 'sluice-security',
      pattern: 'PREFIXED',
    });
    const canaryWrites = grants(plan, 'canary')
      .filter((b) => b.operation === 'WRITE')
      .map((b) => b.resourceName);
    expect(canaryWrites.sort()).toEqual(['raw.chat', 'raw.telemetry']);
    expect(ops(plan, 'canary', 'sluice.audit')).toEqual(['DESCRIBE', 'READ']);
    expect(
      grants(plan, 'sre').every((b) => b.operation === 'DESCRIBE' || b.operation === 'DESCRIBE_CONFIGS'),
    ).toBe(true);
  });

  test('prints as kafka-acls.sh lines', () => {
    const line = toKafkaAclsCommand(
      grants(plan, 'scrubber').find((b) => b.resourceType === 'TRANSACTIONAL_ID')!,
    );
    expect(line).toBe(
      "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN_CONFIG --add --allow-principal 'User:scrubber' --operation Write --transactional-id 'sx' --resource-pattern-type prefixed",
    );
  });
});
