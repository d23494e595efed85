import type { Command } from 'commander';
import { aclPlan, toKafkaAclsCommand, type AclPlanOptions } from '../security/acl-plan';
import { applyAcls } from '../security/acl-apply';
import { ErrorCodes, SluiceError } from '../errors';
import { action, toolContext } from '../security/tool-context';

interface AclFlags {
  config?: string;
  scrubber?: string;
  trainer?: string;
  security?: string;
  canary?: string;
  sre?: string;
  trainerGroupPrefix?: string;
  securityGroupPrefix?: string;
  canaryGroupPrefix?: string;
  securityTransactionalIdPrefix?: string;
  format?: string;
}

function planOptions(o: AclFlags): AclPlanOptions {
  const principals: NonNullable<AclPlanOptions['principals']> = {};
  for (const role of ['scrubber', 'trainer', 'security', 'canary', 'sre'] as const) {
    const v = o[role];
    if (v) principals[role] = v.includes(':') ? v : `User:${v}`;
  }
  return {
    principals,
    ...(o.trainerGroupPrefix ? { trainerGroupPrefix: o.trainerGroupPrefix } : {}),
    ...(o.securityGroupPrefix ? { securityGroupPrefix: o.securityGroupPrefix } : {}),
    ...(o.canaryGroupPrefix ? { canaryGroupPrefix: o.canaryGroupPrefix } : {}),
    ...(o.securityTransactionalIdPrefix
      ? { securityTransactionalIdPrefix: o.securityTransactionalIdPrefix }
      : {}),
  };
}

function withPlanOptions(c: Command): Command {
  return c
    .option('-c, --config <file>', 'the scrubber config: topics, group, transactional-id prefix')
    .option('--scrubber <principal>', 'scrubber principal', 'User:scrubber')
    .option('--trainer <principal>', 'trainer principal', 'User:trainer')
    .option('--security <principal>', 'security principal', 'User:security')
    .option('--canary <principal>', 'canary principal', 'User:canary')
    .option('--sre <principal>', 'SRE principal', 'User:sre')
    .option('--trainer-group-prefix <p>', 'trainer consumer groups (PREFIXED)')
    .option('--security-group-prefix <p>', 'security CLI consumer groups (PREFIXED)')
    .option('--canary-group-prefix <p>', 'canary consumer groups (PREFIXED)')
    .option('--security-transactional-id-prefix <p>', "security's release transactional ids (PREFIXED)");
}

/** `sluice acl apply|print`: the five principals' ACLs, from the scrubber's config. */
export function registerAclCommand(program: Command): void {
  const acl = program
    .command('acl')
    .description('Kafka ACLs for scrubber, trainers, security, canary and SRE');
  withPlanOptions(acl.command('print').description('print the ACL plan (as kafka-acls.sh lines, or JSON)'))
    .option('--format <f>', 'kafka-acls | json | table', 'table')
    .action(
      action(async (o: AclFlags) => {
        const ctx = toolContext({ config: o.config });
        const plan = aclPlan(ctx.config, planOptions(o));
        if (o.format === 'json') process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
        else if (o.format === 'kafka-acls')
          for (const b of plan) process.stdout.write(toKafkaAclsCommand(b) + '\n');
        else
          for (const b of plan)
            process.stdout.write(
              `${b.principal.padEnd(16)} ${b.operation.padEnd(16)} ${b.resourceType} ${b.pattern.toLowerCase()} ${b.resourceName}  # ${b.why}\n`,
            );
      }),
    );
  withPlanOptions(
    acl
      .command('apply')
      .description('create the ACLs with the Kafka admin API (run as a super user), then verify them'),
  ).action(
    action(async (o: AclFlags) => {
      const ctx = toolContext({ config: o.config });
      const plan = aclPlan(ctx.config, planOptions(o));
      const admin = ctx.kafka.admin();
      await admin.connect();
      try {
        const r = await applyAcls(admin, plan);
        if (r.missing.length > 0) {
          throw new SluiceError(
            ErrorCodes.ACL_APPLY_FAILED,
            `${r.missing.length} of ${r.requested} ACLs are not on the broker after createAcls`,
            {
              hint: 'is an authorizer configured (authorizer.class.name)? run `sluice acl print` and compare with kafka-acls.sh --list',
            },
          );
        }
        process.stdout.write(
          `applied and verified ${r.verified} ACL bindings for ${new Set(plan.map((b) => b.principal)).size} principals\n`,
        );
      } finally {
        await admin.disconnect();
      }
    }),
  );
}
