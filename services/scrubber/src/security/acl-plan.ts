import type { SluiceConfig } from '../config/load-config';

/**
 * The Kafka ACLs of a Sluice deployment (docs/security.md, deploy/acl/), derived from the same
 * config the scrubber runs with so topic names never drift. Plain data: `sluice acl apply` turns
 * it into kafkajs createAcls calls, `sluice acl print` into kafka-acls.sh lines.
 * The broker must run an authorizer with allow.everyone.if.no.acl.found=false: everything not
 * granted here is denied.
 */
export type AclRole = 'scrubber' | 'trainer' | 'security' | 'canary' | 'sre';
export type AclResource = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';
export type AclPattern = 'LITERAL' | 'PREFIXED';
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS';

export interface AclBinding {
  role: AclRole;
  principal: string;
  resourceType: AclResource;
  resourceName: string;
  pattern: AclPattern;
  operation: AclOperation;
  /** Why this grant exists, for the printed plan and the docs. */
  why: string;
}

export interface AclPrincipals {
  scrubber: string;
  trainer: string;
  security: string;
  canary: string;
  sre: string;
}

export interface AclPlanOptions {
  principals?: Partial<AclPrincipals>;
  /** Consumer-group prefixes of the readers (PREFIXED group ACLs). */
  trainerGroupPrefix?: string;
  securityGroupPrefix?: string;
  canaryGroupPrefix?: string;
  /** Transactional-id prefix of security's release producer. */
  securityTransactionalIdPrefix?: string;
}

export const DEFAULT_PRINCIPALS: AclPrincipals = {
  scrubber: 'User:scrubber',
  trainer: 'User:trainer',
  security: 'User:security',
  canary: 'User:canary',
  sre: 'User:sre',
};

export const DEFAULT_PREFIXES = {
  trainerGroupPrefix: 'trainer',
  securityGroupPrefix: 'sluice-security',
  canaryGroupPrefix: 'sluice-canary',
  securityTransactionalIdPrefix: 'sluice-security',
} as const;

export function aclPlan(config: SluiceConfig, opts: AclPlanOptions = {}): AclBinding[] {
  const p: AclPrincipals = { ...DEFAULT_PRINCIPALS, ...opts.principals };
  const prefixes = { ...DEFAULT_PREFIXES, ...stripUndefined(opts) };
  const raw = config.sources.map((s) => s.topic);
  const clean = config.sources.map((s) => s.outputs.clean);
  const redacted = config.sources.map((s) => s.outputs.redacted);
  const quarantine = config.sources.map((s) => s.outputs.quarantine);
  const audit = config.auditTopic;
  const dataKeys = config.quarantine.dataKeys === 'topic' ? [config.quarantine.dataKeyTopic] : [];
  const scrubberOutputs = [...clean, ...redacted, ...quarantine, audit, ...dataKeys];
  const out: AclBinding[] = [];
  const add = (
    role: AclRole,
    resourceType: AclResource,
    names: readonly string[],
    pattern: AclPattern,
    ops: readonly AclOperation[],
    why: string,
  ) => {
    for (const name of names)
      for (const operation of ops)
        out.push({ role, principal: p[role], resourceType, resourceName: name, pattern, operation, why });
  };

  // The scrubber: reads raw, writes every output and the audit in its per-partition transactions.
  add('scrubber', 'TOPIC', raw, 'LITERAL', ['READ', 'DESCRIBE'], 'consume raw topics');
  add(
    'scrubber',
    'TOPIC',
    scrubberOutputs,
    'LITERAL',
    ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'],
    'produce outputs, audit and data keys; check max.message.bytes at start',
  );
  if (config.topics.create)
    add(
      'scrubber',
      'TOPIC',
      scrubberOutputs,
      'LITERAL',
      ['CREATE'],
      'topics.create: create missing outputs at start',
    );
  add(
    'scrubber',
    'GROUP',
    [config.group.id],
    'LITERAL',
    ['READ'],
    'its consumer group (join, TxnOffsetCommit, offset re-check)',
  );
  // Transactional ids are `<idPrefix>-<topic>-<partition>`, one per input partition (pre-KIP-447 fencing).
  add(
    'scrubber',
    'TRANSACTIONAL_ID',
    [config.transactions.idPrefix],
    'PREFIXED',
    ['WRITE', 'DESCRIBE'],
    'per-partition transactional ids <idPrefix>-<topic>-<partition>',
  );

  // Trainers: scanned data only.
  add(
    'trainer',
    'TOPIC',
    [...clean, ...redacted],
    'LITERAL',
    ['READ', 'DESCRIBE'],
    'read training data (clean, redacted)',
  );
  add('trainer', 'GROUP', [prefixes.trainerGroupPrefix], 'PREFIXED', ['READ'], 'trainer consumer groups');

  // Security: reads what nobody else may; writes releases (and their audit) transactionally, and shreds.
  add(
    'security',
    'TOPIC',
    [...quarantine, audit, ...dataKeys],
    'LITERAL',
    ['READ', 'DESCRIBE'],
    'review quarantine, audit trail, data keys',
  );
  add(
    'security',
    'TOPIC',
    [...clean, ...redacted],
    'LITERAL',
    ['WRITE', 'DESCRIBE'],
    'release false positives',
  );
  add('security', 'TOPIC', [audit], 'LITERAL', ['WRITE'], 'audit each release');
  if (dataKeys.length > 0)
    add('security', 'TOPIC', dataKeys, 'LITERAL', ['WRITE'], 'crypto-shred: tombstone a data key');
  add(
    'security',
    'TRANSACTIONAL_ID',
    [prefixes.securityTransactionalIdPrefix],
    'PREFIXED',
    ['WRITE', 'DESCRIBE'],
    'exactly-once releases',
  );
  add('security', 'GROUP', [prefixes.securityGroupPrefix], 'PREFIXED', ['READ'], 'review CLI readers');

  // Canary: injects into raw, watches where it must never show up, and the audit.
  add('canary', 'TOPIC', raw, 'LITERAL', ['WRITE', 'DESCRIBE'], 'inject synthetic secrets');
  add(
    'canary',
    'TOPIC',
    [...clean, ...redacted, audit],
    'LITERAL',
    ['READ', 'DESCRIBE'],
    'verify no escape; match audit',
  );
  add('canary', 'GROUP', [prefixes.canaryGroupPrefix], 'PREFIXED', ['READ'], 'canary verifier groups');

  // SRE: metadata, configs and lag; no data.
  add(
    'sre',
    'TOPIC',
    [...raw, ...scrubberOutputs],
    'LITERAL',
    ['DESCRIBE', 'DESCRIBE_CONFIGS'],
    'see topics, partitions, configs',
  );
  add('sre', 'GROUP', [config.group.id], 'LITERAL', ['DESCRIBE'], 'see consumer lag');
  add(
    'sre',
    'CLUSTER',
    ['kafka-cluster'],
    'LITERAL',
    ['DESCRIBE', 'DESCRIBE_CONFIGS'],
    'see brokers and cluster config',
  );
  return dedupe(out);
}

function stripUndefined(o: AclPlanOptions): Partial<typeof DEFAULT_PREFIXES> {
  const r: Record<string, string> = {};
  for (const k of Object.keys(DEFAULT_PREFIXES)) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === 'string' && v.length > 0) r[k] = v;
  }
  return r;
}

function dedupe(list: AclBinding[]): AclBinding[] {
  const seen = new Set<string>();
  return list.filter((b) => {
    const k = `${b.principal}|${b.resourceType}|${b.pattern}|${b.resourceName}|${b.operation}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A kafka-acls.sh command line per binding (deploy/acl/, or for review in a change request). */
export function toKafkaAclsCommand(
  b: AclBinding,
  bootstrap = '$BOOTSTRAP',
  commandConfig = '$ADMIN_CONFIG',
): string {
  const res =
    b.resourceType === 'TOPIC'
      ? `--topic '${b.resourceName}'`
      : b.resourceType === 'GROUP'
        ? `--group '${b.resourceName}'`
        : b.resourceType === 'TRANSACTIONAL_ID'
          ? `--transactional-id '${b.resourceName}'`
          : '--cluster';
  const op =
    b.operation === 'DESCRIBE_CONFIGS'
      ? 'DescribeConfigs'
      : b.operation.charAt(0) + b.operation.slice(1).toLowerCase();
  return `kafka-acls.sh --bootstrap-server ${bootstrap} --command-config ${commandConfig} --add --allow-principal '${b.principal}' --operation ${op} ${res} --resource-pattern-type ${b.pattern.toLowerCase()}`;
}
