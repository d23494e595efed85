import type { Command } from 'commander';
import { describeAuditHit, findAudit } from '../audit/audit-lookup';
import { ErrorCodes, SluiceError } from '../errors';
import { action, toolContext } from '../security/tool-context';

/** `sluice audit where --topic T --partition P --offset O`: where did this input record go, and why. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the audit trail: one decision per input record');
  audit
    .command('where')
    .description(
      'where a raw record went and why (reads one audit partition: sourcePartition % auditPartitions)',
    )
    .option('-c, --config <file>', 'the scrubber config (topic names; kafka.sasl for your principal)')
    .requiredOption('--topic <topic>', 'source (raw) topic')
    .requiredOption('--partition <n>', 'source partition')
    .requiredOption('--offset <n>', 'source offset')
    .option('--group-prefix <prefix>', 'consumer-group prefix your ACLs allow', 'sluice-security')
    .option('--json', 'one JSON audit record per line')
    .action(
      action(
        async (o: {
          config?: string;
          topic: string;
          partition: string;
          offset: string;
          groupPrefix: string;
          json?: boolean;
        }) => {
          const partition = Number(o.partition);
          const offset = Number(o.offset);
          if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(offset) || offset < 0) {
            throw new SluiceError(
              ErrorCodes.CONFIG_INVALID,
              '--partition and --offset must be non-negative integers',
            );
          }
          const ctx = toolContext({ config: o.config });
          const res = await findAudit(
            ctx.kafka,
            ctx.registry,
            { auditTopic: ctx.config.auditTopic, groupPrefix: o.groupPrefix },
            { topic: o.topic, partition, offset },
          );
          if (res.hits.length === 0) {
            throw new SluiceError(
              ErrorCodes.RECORD_NOT_FOUND,
              `no audit record for ${o.topic}/${partition}/${offset} in ${ctx.config.auditTopic} partition ${res.auditPartition} (${res.scanned} records scanned)`,
              {
                hint: 'not processed yet, past the audit retention, or another audit topic (check --config)',
              },
            );
          }
          for (const h of res.hits) {
            process.stdout.write(
              o.json ? JSON.stringify({ at: h.at, ...h.record }) + '\n' : describeAuditHit(h) + '\n',
            );
          }
        },
      ),
    );
}
