import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ErrorCodes, SluiceError } from '../errors';
import { decide } from '../route/decide';
import { FINDINGS_CAPPED, ScanEngine } from '../scan/engine';
import { redactText } from '../scan/redact';
import type { RegexEngineChoice } from '../scan/regex-engine';
import type { RuleOverrides } from '../scan/rules/schema';
import type { Finding } from '../scan/types';
import { resolveFingerprintKey } from './scan-command-key';
import type { ScanInput } from './scan-command-input';
import { openInput, readRecords } from './scan-command-input';

interface ScanFlags {
  field?: string;
  idField: string;
  rulesDir: string[];
  builtin: boolean;
  engine: RegexEngineChoice;
  fingerprintKey?: string;
  fingerprintKeyFile?: string;
  ephemeralKey?: boolean;
  source: string;
  overrides?: string;
  maxFindings: string;
}

/** Exit codes of `sluice scan` (also in its --help). */
export const SCAN_EXIT = { clean: 0, findings: 1, error: 2 } as const;

/** One output line. Offsets are UTF-16 code units into the input text (JS string indices). */
export interface ScanOutput {
  file: string;
  line: number;
  /** The record's id (--id-field) in NDJSON mode, else the line number. */
  id: string | number;
  verdict: 'clean' | 'redacted' | 'quarantined';
  /** Quarantine or error code, null otherwise. */
  reason: string | null;
  findings: Finding[];
  /** The input text with every active finding replaced by its placeholder (absent on input errors). */
  redacted?: string;
  /** Input error message (no payload), with verdict quarantined and exit code 2. */
  error?: string;
}

function loadOverrides(path: string | undefined): RuleOverrides | undefined {
  if (path === undefined) return undefined;
  try {
    return parseYaml(readFileSync(path, 'utf8')) as RuleOverrides; // validated by the engine's schema
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `--overrides: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Result of one input record: the output line and whether it has findings / is an error. */
export function scanOne(engine: ScanEngine, input: ScanInput, source: string): ScanOutput {
  const id = input.id ?? input.line;
  if (!input.ok)
    return {
      file: input.file,
      line: input.line,
      id,
      verdict: 'quarantined',
      reason: input.code,
      findings: [],
      error: input.message,
    };
  const findings = engine.scanText(input.text, source);
  const capped = engine.lastScanCapped;
  const d = decide({ texts: [{ path: 'text', text: input.text }], redactable: [true], findings: [findings] });
  // Fail closed like the pipeline: a capped finding list quarantines the record.
  const verdict = capped ? 'quarantined' : d.verdict;
  const reason = capped ? FINDINGS_CAPPED : d.reason;
  return {
    file: input.file,
    line: input.line,
    id,
    verdict,
    reason,
    findings,
    redacted: redactText(input.text, findings),
  };
}

async function write(line: string): Promise<void> {
  if (!process.stdout.write(line))
    await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

export async function runScan(files: string[], o: ScanFlags): Promise<number> {
  const max = Number(o.maxFindings);
  const engine = ScanEngine.create({
    fingerprintKey: resolveFingerprintKey(
      { key: o.fingerprintKey, keyFile: o.fingerprintKeyFile, ephemeral: o.ephemeralKey },
      process.env,
      (m) => process.stderr.write(`${m}\n`),
    ),
    includeBuiltin: o.builtin,
    ruleDirs: o.rulesDir,
    regexEngine: o.engine,
    overrides: loadOverrides(o.overrides),
    maxFindingsPerText: max,
  });
  for (const w of engine.warnings) process.stderr.write(`sluice scan: warning: ${w}\n`);
  let findings = false;
  let errors = false;
  for (const file of files.length > 0 ? files : ['-']) {
    for await (const input of readRecords(openInput(file), file, { field: o.field, idField: o.idField })) {
      const out = scanOne(engine, input, o.source);
      if (!input.ok) errors = true;
      else if (out.verdict !== 'clean') findings = true;
      await write(`${JSON.stringify(out)}\n`);
    }
  }
  return errors ? SCAN_EXIT.error : findings ? SCAN_EXIT.findings : SCAN_EXIT.clean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description(
      'scan files or stdin with the detection engine (no Kafka); one NDJSON result per input record',
    )
    .argument('[files...]', 'input files (default or `-`: stdin)')
    .option(
      '--field <path>',
      'inputs are NDJSON: scan the string at this dotted path (default: each line is a text)',
    )
    .option('--id-field <path>', 'NDJSON: dotted path of the record id reported as `id`', 'id')
    .option('--rules-dir <dir>', 'extra rule directory (*.yaml); repeatable', collect, [])
    .option('--no-builtin', 'do not load the built-in rules')
    .addOption(
      new Option('--engine <engine>', 'regex engine')
        .choices(['auto', 're2-native', 're2-wasm'])
        .default('auto'),
    )
    .option(
      '--fingerprint-key <key>',
      'HMAC key for fingerprints, hex or base64, >= 32 bytes (or SLUICE_FINGERPRINT_KEY)',
    )
    .option('--fingerprint-key-file <file>', 'file holding the key (or SLUICE_FINGERPRINT_KEY_FILE)')
    .option(
      '--ephemeral-key',
      'no key at hand: use a random key for this run (fingerprints match nothing else)',
    )
    .option('--source <name>', 'source name for per-source overrides', 'scan')
    .option(
      '--overrides <file>',
      'YAML { rules: {id: {action, shadow, enabled}}, sources: {name: {id: {...}}} }',
    )
    .option('--max-findings <n>', 'findings per text before the record is quarantined as a flood', '1000')
    .addHelpText(
      'after',
      '\nOutput: {file, line, id, verdict: clean|redacted|quarantined, reason, findings: [{ruleId, category, action, shadow, label, start, end, fingerprint, preview}], redacted}\n' +
        'Offsets are UTF-16 code units. Exit: 0 every record clean (shadow findings alone count as clean), 1 some record redacted or quarantined, 2 error (bad options, unreadable input, a line that is not JSON or lacks --field).',
    )
    // Usage errors (unknown option, bad --engine) are errors too: exit 2, not commander's 1 (= findings).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : SCAN_EXIT.error))
    .action(async (files: string[], o: ScanFlags) => {
      process.exitCode = await runScan(files, o);
    });
}
