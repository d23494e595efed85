// Reads a deployment's outputs (read_committed) and checks every shared invariant, producing the
// figures the integrity suite reports per scenario: records in, out per verdict, duplicates,
// lost, sensitive values in clean/redacted, audit records.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeAuditRecord } from '../../../services/scrubber/src/audit/audit-record';
import { consumeAll, type ConsumedMessage } from '../kafka';
import {
  checkAuditTrail,
  checkExactlyOnce,
  checkOrderPerPartition,
  checkVerdicts,
  findSecretsIndexed,
  indexOutputs,
  type OutputIndex,
  type Verdict,
} from '../invariants';
import type { PipelineFixture } from '../pipeline-fixture';
import { REPO_ROOT } from '../scrubber-process';

export interface IntegrityFigures {
  scenario: string;
  recordsIn: number;
  recordsOut: number;
  clean: number;
  redacted: number;
  quarantined: number;
  duplicates: number;
  lost: number;
  unexpected: number;
  /** Sensitive data in clean/redacted: secret values found in bytes + records sent to a weaker output than their content needs. */
  sensitiveInCleanOrRedacted: number;
  /** Known secret values found in the bytes of a clean or redacted record. */
  secretBytesFound: number;
  /** Records that went to a weaker output than expected (e.g. a typed password's key event to clean). */
  verdictDowngrades: number;
  /** Key events of a token masked at keystrokes.maxHoldMs (fail closed, to redacted): not downgrades, not upgrades. */
  failClosedMasked: number;
  auditRecords: number;
  auditMissing: number;
  auditDuplicated: number;
  auditDisagreeing: number;
  orderViolations: number;
  /** Records that went to a stricter output than expected (over-redaction; not a leak). */
  verdictUpgrades: number;
  /** Output records present in the log but never committed (aborted transactions), when measured. */
  abortedInLog?: number;
  /** Scenario-specific numbers (faults injected, restarts, ...). */
  faults: Record<string, unknown>;
}

export interface VerifyResult {
  figures: IntegrityFigures;
  outputs: Record<Verdict, ConsumedMessage[]>;
  audit: ConsumedMessage[];
  index: OutputIndex;
  /** First few violations of each kind, for a readable failure. */
  samples: Record<string, string[]>;
  /** Every verdict downgrade ("want X, got weaker"), by source coordinate. */
  downgrades: string[];
}

export const FIGURES_DIR = path.join(REPO_ROOT, '.cache', 'integrity-figures');

export interface VerifyOptions {
  /** Also read the outputs read_uncommitted and count records of aborted transactions. */
  countAborted?: boolean;
  /** Check each input's verdict against its expectation (default true). */
  checkVerdicts?: boolean;
  deadlineMs?: number;
  faults?: Record<string, unknown>;
}

export async function verifyDeployment(
  fx: PipelineFixture,
  scenario: string,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const n = fx.inputs.length;
  const { outputs, audit } = await fx.readOutputs(n, opts.deadlineMs ?? 300_000);
  const decodedAudit = audit.map((m) => decodeAuditRecord(fx.registry, m.value!));
  const index = indexOutputs(outputs);
  const once = checkExactlyOnce(fx.inputs, index);
  const order = checkOrderPerPartition([...outputs.clean, ...outputs.redacted, ...outputs.quarantined]);
  const leaks = findSecretsIndexed([...outputs.clean, ...outputs.redacted], fx.secrets());
  const trail = checkAuditTrail(fx.inputs, index, decodedAudit);
  const wrong = opts.checkVerdicts === false ? [] : checkVerdicts(index, fx.expectations);
  const rank: Record<string, number> = { clean: 0, redacted: 1, quarantined: 2 };
  // A key event whose unfinished token was masked at the maximum hold went to redacted by
  // design (fail closed, issue 4): not a leak, but counted and reported.
  const failClosedRule = new Set<string>();
  for (const r of decodedAudit) {
    if (r.verdict !== 'CLEAN' && r.ruleIds.includes('keystroke-unsettled'))
      failClosedRule.add(`${r.source.topic}/${r.source.partition}/${r.source.offset}`);
  }
  const weaker = wrong.filter((w) => {
    const m = /want (\w+), got (\w+)/.exec(w);
    return m !== null && rank[m[2]!]! < rank[m[1]!]!;
  });
  const failClosed = new Set(
    wrong.filter((w) => / got redacted$/.test(w) && failClosedRule.has(w.slice(0, w.indexOf(':')))),
  );
  const failClosedMasked = [...failClosed];
  const downgrades = weaker.filter((w) => !failClosed.has(w));
  const upgrades = wrong.filter((w) => !weaker.includes(w) && !failClosed.has(w));
  let abortedInLog: number | undefined;
  if (opts.countAborted) {
    const { clean, redacted, quarantined } = fx.topics.outputs;
    const uncommitted = await consumeAll(fx.kafka, {
      topics: [...clean, ...redacted, ...quarantined],
      readCommitted: false,
      idleMs: 3000,
      deadlineMs: 120_000,
    });
    abortedInLog = uncommitted.length - once.outputs;
  }
  const figures: IntegrityFigures = {
    scenario,
    recordsIn: n,
    recordsOut: once.outputs,
    clean: once.byVerdict.clean,
    redacted: once.byVerdict.redacted,
    quarantined: once.byVerdict.quarantined,
    duplicates: once.duplicated.length,
    lost: once.lost.length,
    unexpected: once.unexpected.length + index.missingSourceHeader,
    sensitiveInCleanOrRedacted: leaks.length + downgrades.length,
    secretBytesFound: leaks.length,
    verdictDowngrades: downgrades.length,
    failClosedMasked: failClosedMasked.length,
    auditRecords: audit.length,
    auditMissing: trail.missing.length,
    auditDuplicated: trail.duplicated.length,
    auditDisagreeing: trail.disagreeing.length,
    orderViolations: order.length,
    verdictUpgrades: upgrades.length,
    ...(abortedInLog !== undefined ? { abortedInLog } : {}),
    faults: opts.faults ?? {},
  };
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(path.join(FIGURES_DIR, `${scenario}.json`), JSON.stringify(figures, null, 2) + '\n');
  // Every downgraded coordinate, for tracing each one through the scrubbers' logs.
  const downgradesFile = path.join(FIGURES_DIR, `${scenario}.downgrades.json`);
  if (downgrades.length > 0) writeFileSync(downgradesFile, JSON.stringify(downgrades, null, 1) + '\n');
  else rmSync(downgradesFile, { force: true });
  process.stdout.write(`integrity ${formatFigures(figures)}\n`);
  const samples = {
    lost: once.lost.slice(0, 10),
    duplicated: once.duplicated.slice(0, 10),
    unexpected: once.unexpected.slice(0, 10),
    leaks: leaks.slice(0, 10),
    order: order.slice(0, 10),
    auditMissing: trail.missing.slice(0, 10),
    auditDuplicated: trail.duplicated.slice(0, 10),
    auditDisagreeing: trail.disagreeing.slice(0, 10),
    verdictDowngrades: downgrades.slice(0, 10),
    verdictUpgrades: upgrades.slice(0, 10),
  };
  return {
    downgrades,
    figures,
    outputs,
    audit,
    index,
    samples,
  };
}

export function formatFigures(f: IntegrityFigures): string {
  const faults = Object.entries(f.faults)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return (
    `${f.scenario}: in=${f.recordsIn} out=${f.recordsOut} clean=${f.clean} redacted=${f.redacted} quarantined=${f.quarantined} ` +
    `duplicates=${f.duplicates} lost=${f.lost} unexpected=${f.unexpected} sensitive-in-clean=${f.sensitiveInCleanOrRedacted} ` +
    `(secret-bytes=${f.secretBytesFound} verdict-downgrades=${f.verdictDowngrades}) fail-closed-masked=${f.failClosedMasked} ` +
    `audit=${f.auditRecords} (missing=${f.auditMissing} dup=${f.auditDuplicated} disagree=${f.auditDisagreeing}) ` +
    `order-violations=${f.orderViolations} verdict-upgrades=${f.verdictUpgrades}` +
    (f.abortedInLog !== undefined ? ` aborted-in-log=${f.abortedInLog}` : '') +
    (faults ? ` | ${faults}` : '')
  );
}

/** The zeros every scenario must show; on failure jest prints the samples of what went wrong. */
export function expectIntegrity(r: VerifyResult): void {
  const f = r.figures;
  expect({
    recordsOut: f.recordsOut,
    duplicates: f.duplicates,
    lost: f.lost,
    unexpected: f.unexpected,
    sensitiveInCleanOrRedacted: f.sensitiveInCleanOrRedacted,
    auditMissing: f.auditMissing,
    auditDuplicated: f.auditDuplicated,
    auditDisagreeing: f.auditDisagreeing,
    orderViolations: f.orderViolations,
    // Fail closed is allowed to be over-cautious: a keystroke run held past keystrokes.maxHoldMs
    // during an outage is masked (redacted) by design. A handful, not a trend.
    verdictUpgradesWithinBound: f.verdictUpgrades <= Math.max(2, Math.ceil(f.recordsIn / 1000)),
    samples: Object.fromEntries(
      Object.entries(r.samples).filter(([k, v]) => v.length > 0 && k !== 'verdictUpgrades'),
    ),
  }).toEqual({
    recordsOut: f.recordsIn,
    duplicates: 0,
    lost: 0,
    unexpected: 0,
    sensitiveInCleanOrRedacted: 0,
    auditMissing: 0,
    auditDuplicated: 0,
    auditDisagreeing: 0,
    orderViolations: 0,
    verdictUpgradesWithinBound: true,
    samples: {},
  });
}
