import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importGitleaks } from '../rules-import/import-gitleaks';

/** `sluice rules ...`: rule file tooling. */
export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('detection rule tooling');
  rules
    .command('import-gitleaks')
    .description(
      'convert a gitleaks config (TOML) into a Sluice rules file (YAML): category credential, action quarantine, no samples (loads with a warning)',
    )
    .argument('<config>', 'gitleaks config, e.g. .gitleaks.toml')
    .option('-o, --out <file>', 'write the rules file here (default: stdout)')
    .option('--prefix <prefix>', 'prefix for imported rule ids', '')
    .option('--max-length <n>', 'maxLength of imported rules (longest secret match, chars)', '512')
    .action((config: string, o: { out?: string; prefix: string; maxLength: string }) => {
      const r = importGitleaks(config, { prefix: o.prefix, maxLength: Number(o.maxLength) });
      if (o.out !== undefined) writeFileSync(o.out, r.yaml);
      else process.stdout.write(r.yaml);
      const err = process.stderr;
      err.write(
        `imported ${r.rules.length} rule(s), skipped ${r.skipped.length}${o.out !== undefined ? `; wrote ${o.out}` : ''}\n`,
      );
      for (const s of r.skipped) err.write(`  skipped ${s.id}: ${s.reason}\n`);
      for (const n of new Set(r.notes.map((x) => `  note ${x.id}: ${x.note}`))) err.write(`${n}\n`);
      // Nothing usable is an error: the caller asked for rules and would otherwise deploy none.
      if (r.rules.length === 0) process.exitCode = 2;
    });
}
