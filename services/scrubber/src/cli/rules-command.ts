import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importGitleaks } from '../rules-import/import-gitleaks';
import { ScanEngine } from '../scan/engine';
import { checkRuleSamples } from '../scan/rules/sample-check';

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
  rules
    .command('check')
    .description(
      'load rule files (schema, RE2, capture groups) and run every rule sample; exit 0 ok, 2 problems',
    )
    .option(
      '--rules-dir <dir>',
      'rule directory (*.yaml); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--no-builtin', 'do not load the built-in rules')
    .action((o: { rulesDir: string[]; builtin: boolean }) => {
      // Fingerprints are not looked at here: a throwaway key is fine.
      const engine = ScanEngine.create({
        fingerprintKey: randomBytes(32),
        includeBuiltin: o.builtin,
        ruleDirs: o.rulesDir,
      });
      const failures = checkRuleSamples(engine, false);
      for (const w of engine.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const f of failures)
        process.stderr.write(
          `FAIL ${f.file}: rule '${f.ruleId}' ${f.kind} sample #${f.sample}: ${f.reason}\n`,
        );
      process.stdout.write(
        `${engine.rules.length} rule(s), ruleset ${engine.rulesetVersion}, ${failures.length} sample failure(s), ${engine.warnings.length} warning(s)\n`,
      );
      if (failures.length > 0) process.exitCode = 2;
    });
}
