import type { Command } from 'commander';
import { describeAuditHit, findAudit, findByFingerprint } from '../audit/audit-lookup';
import { fingerprint } from '../scan/fingerprint';
import { ErrorCodes, SluiceError } from '../errors';
import { action, toolContext } from '../security/tool-context';

/** `sluice audit where --topic T --partition P --offset O`: where did this input record go, and why. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the audit trail: one decision per input record');
  readerOptions(audit.command('where'))
    .description(
      'where a raw record went and why (reads one audit partition: sourcePartition % auditPartitions)',
    )
    .requiredOption('--topic <topic>', 'source (raw) topic')
    .requiredOption('--partition <n>', 'source partition')
    .requiredOption('--offset <n>', 'source offset')
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

  readerOptions(audit.command('find'))
    .description(
      'every decision whose findings (or record key) carry this keyed fingerprint: where one leaked value went (reads the whole audit topic)',
    )
    .requiredOption(
      '--fingerprint <hex>',
      'a keyed fingerprint (from an envelope, an audit record or `sluice audit fingerprint`)',
    )
    .option('--limit <n>', 'stop after n matches')
    .action(
      action(
        async (o: {
          config?: string;
          fingerprint: string;
          limit?: string;
          groupPrefix: string;
          json?: boolean;
        }) => {
          if (!/^[0-9a-fA-F]{64}$/.test(o.fingerprint)) {
            throw new SluiceError(
              ErrorCodes.CONFIG_INVALID,
              '--fingerprint must be 64 hex digits (HMAC-SHA-256)',
              { hint: 'compute one with: printf %s "$VALUE" | sluice audit fingerprint --config <file>' },
            );
          }
          const limit = o.limit === undefined ? undefined : Number(o.limit);
          if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
            throw new SluiceError(ErrorCodes.CONFIG_INVALID, '--limit must be a positive integer');
          const ctx = toolContext({ config: o.config });
          const res = await findByFingerprint(
            ctx.kafka,
            ctx.registry,
            { auditTopic: ctx.config.auditTopic, groupPrefix: o.groupPrefix, ...(limit ? { limit } : {}) },
            o.fingerprint,
          );
          for (const h of res.hits) {
            process.stdout.write(
              o.json ? JSON.stringify({ at: h.at, ...h.record }) + '\n' : describeAuditHit(h) + '\n',
            );
          }
          process.stderr.write(`${res.hits.length} decision(s) in ${res.scanned} audit records\n`);
        },
      ),
    );
  audit
    .command('fingerprint')
    .description(
      'the keyed fingerprint of each line on stdin (a value security already holds, e.g. a leaked key), to search with `audit find` or `quarantine list --fingerprint`; read from stdin so the value stays out of shell history',
    )
    .option('-c, --config <file>', "a config with secrets.fingerprintKey(File): the scrubber's key")
    .action(
      action(async (o: { config?: string }) => {
        const ctx = toolContext({ config: o.config });
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
        if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
        if (lines.length === 0)
          throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'no value on stdin', {
            hint: 'printf %s "$VALUE" | sluice audit fingerprint --config <file>',
          });
        for (const v of lines) process.stdout.write(`${fingerprint(ctx.config.fingerprintKey, v)}\n`);
      }),
    );
}

/** Options every audit reader takes: whose config, which consumer groups, what output. */
function readerOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'the scrubber config (topic names; kafka.sasl for your principal)')
    .option('--group-prefix <prefix>', 'consumer-group prefix your ACLs allow', 'sluice-security')
    .option('--json', 'one JSON audit record per line');
}
