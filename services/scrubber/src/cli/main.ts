#!/usr/bin/env node
// Before anything requires kafkajs: the kafkajs mends (see the module).
import '../kafka/kafkajs-mends';
import { Command } from 'commander';
import { runScrubber } from './run-command';
import { generateKeys } from './keys-command';
import { describeError } from '../errors';
import { registerQuarantineCommand } from './quarantine-command';
import { registerAuditCommand } from './audit-command';
import { registerAclCommand } from './acl-command';
import { registerScanCommand } from './scan-command';
import { registerRulesCommand } from './rules-command';

const program = new Command();
program
  .name('sluice')
  .description('Keeps secrets, personal data and confidential material out of AI training data');

program
  .command('run')
  .description(
    'run the scrubber: consume raw topics, scan, route to clean / redacted / quarantine exactly once',
  )
  .option('-c, --config <file>', 'YAML config file (or SLUICE_CONFIG); environment variables override it')
  .action(async (o: { config?: string }) => runScrubber({ config: o.config }));

const keys = program.command('keys').description('key material for quarantine encryption and fingerprints');
keys
  .command('generate')
  .description("create security's X25519 key pair and a fingerprint key")
  .requiredOption(
    '-o, --out <dir>',
    'directory to write quarantine-public.pem, quarantine-private.pem, fingerprint.key',
  )
  .option('--force', 'replace existing keys')
  .action((o: { out: string; force?: boolean }) => {
    const r = generateKeys(o.out, { force: o.force ?? false });
    process.stdout.write(
      `key id ${r.keyId}\n${r.files.join('\n')}\nGive the scrubber only quarantine-public.pem and fingerprint.key.\n`,
    );
  });

registerQuarantineCommand(program);
registerAuditCommand(program);
registerAclCommand(program);
registerScanCommand(program);
registerRulesCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = describeError(err);
  process.stderr.write(`sluice: ${e.message}\n`);
  process.exit(2);
});
