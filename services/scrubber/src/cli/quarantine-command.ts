import { hostname, userInfo } from 'node:os';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCodes, SluiceError } from '../errors';
import { shredDataKeys } from '../quarantine/data-key-store';
import {
  envelopeSummary,
  formatCoordinates,
  loadPrivateKey,
  parseCoordinates,
  QuarantineReview,
  type OpenedRecord,
  type QuarantineFilter,
  type QuarantineItem,
} from '../quarantine/quarantine-review';
import { releaseQuarantined } from '../quarantine/release';
import { action, toolContext, type ToolContext } from '../security/tool-context';

interface Common {
  config?: string;
  groupPrefix: string;
  json?: boolean;
}

function parseTime(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const rel = /^(\d+)([smhd])$/.exec(v);
  if (rel)
    return (
      Date.now() -
      Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd']
    );
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `${flag} '${v}' is not a time`, {
      hint: 'use ISO-8601, epoch ms, or a relative age like 24h / 7d',
    });
  return t;
}

function common(c: Command): Command {
  return c
    .option('-c, --config <file>', 'the scrubber config (topic names; kafka.sasl for your principal)')
    .option('--group-prefix <prefix>', 'consumer-group prefix your ACLs allow', 'sluice-security');
}

function privateKeyOption(c: Command): Command {
  return c.option(
    '--private-key <file>',
    "security's quarantine-private.pem (or SLUICE_QUARANTINE_PRIVATE_KEY_FILE)",
  );
}

function privateKeyFile(o: { privateKey?: string }): string | undefined {
  return o.privateKey ?? process.env.SLUICE_QUARANTINE_PRIVATE_KEY_FILE ?? undefined;
}

function review(ctx: ToolContext, o: Common): QuarantineReview {
  return new QuarantineReview(ctx.kafka, ctx.registry, ctx.config, o.groupPrefix);
}

/** The decrypted record as JSON: bytes as base64, plus UTF-8 text where the bytes are valid UTF-8. */
export function openedToJson(r: OpenedRecord): Record<string, unknown> {
  const bytes = (b: Buffer | null) => {
    if (b === null) return null;
    let utf8: string | null;
    try {
      utf8 = new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      utf8 = null;
    }
    return { base64: b.toString('base64'), utf8 };
  };
  return {
    key: bytes(r.key),
    value: bytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })),
    timestamp: new Date(r.timestampMs).toISOString(),
  };
}

function line(item: QuarantineItem): string {
  const s = envelopeSummary(item) as {
    id: string;
    source: { topic: string; partition: number; offset: number };
    reason: string;
    decidedAt: string;
  };
  const rules = [...new Set(item.envelope.findings.map((f) => f.ruleId))].join(',') || '-';
  const cats = [...new Set(item.envelope.findings.map((f) => f.category))].join(',') || '-';
  return `${s.id}  ${s.decidedAt}  ${s.source.topic}/${s.source.partition}/${s.source.offset}  ${s.reason}  rules=${rules}  categories=${cats}`;
}

/** `sluice quarantine list|show|decrypt|export|release|shred`: security's review CLI. */
export function registerQuarantineCommand(program: Command): void {
  const q = program
    .command('quarantine')
    .description("security's review of quarantined records (needs the security principal's ACLs)");

  common(q.command('list').description('list quarantined records (metadata only, never payloads)'))
    .option('--source <name...>', 'source name(s) or raw topic(s)')
    .option('--since <time>', 'decided at or after (ISO-8601, epoch ms, or 24h / 7d ago)')
    .option('--until <time>', 'decided at or before')
    .option('--rule <id>', 'with a finding of this rule')
    .option('--category <c>', 'with a finding of this category (credential, pii, ...)')
    .option('--reason <code>', 'quarantine reason, e.g. SLUICE_DECODE_FAILED')
    .option('--key-fingerprint <hex>', 'records whose key has this keyed fingerprint')
    .option(
      '--fingerprint <hex>',
      'records with a finding of this keyed fingerprint (`sluice audit fingerprint`)',
    )
    .option('--limit <n>', 'stop after n matches')
    .option('--json', 'one JSON object per line')
    .action(
      action(
        async (
          o: Common & {
            source?: string[];
            since?: string;
            until?: string;
            rule?: string;
            category?: string;
            reason?: string;
            keyFingerprint?: string;
            fingerprint?: string;
            limit?: string;
          },
        ) => {
          const ctx = toolContext({ config: o.config });
          const filter: QuarantineFilter = {};
          if (o.source) filter.sources = o.source;
          const since = parseTime(o.since, '--since');
          const until = parseTime(o.until, '--until');
          if (since !== undefined) filter.sinceMs = since;
          if (until !== undefined) filter.untilMs = until;
          if (o.rule) filter.rule = o.rule;
          if (o.category) filter.category = o.category;
          if (o.reason) filter.reason = o.reason;
          if (o.keyFingerprint) filter.keyFingerprint = o.keyFingerprint;
          if (o.fingerprint) filter.fingerprint = o.fingerprint.toLowerCase();
          const items = await review(ctx, o).list(filter, o.limit ? Number(o.limit) : Infinity);
          for (const it of items)
            process.stdout.write((o.json ? JSON.stringify(envelopeSummary(it)) : line(it)) + '\n');
          if (!o.json) process.stderr.write(`${items.length} record(s)\n`);
        },
      ),
    );

  common(
    q
      .command('show <id>')
      .description('one quarantined record with its findings (id = quarantine topic/partition/offset)'),
  ).action(
    action(async (id: string, o: Common) => {
      const ctx = toolContext({ config: o.config });
      const item = await review(ctx, o).get(parseCoordinates(id));
      process.stdout.write(JSON.stringify(envelopeSummary(item), null, 2) + '\n');
    }),
  );

  privateKeyOption(
    common(
      q.command('decrypt <id>').description('decrypt the original record (refuses without the private key)'),
    ),
  ).action(
    action(async (id: string, o: Common & { privateKey?: string }) => {
      const key = loadPrivateKey(privateKeyFile(o));
      const ctx = toolContext({ config: o.config });
      const r = review(ctx, o);
      const item = await r.get(parseCoordinates(id));
      const opened = await r.open(item, key);
      process.stdout.write(
        JSON.stringify({ id: formatCoordinates(item.at), record: openedToJson(opened) }, null, 2) + '\n',
      );
    }),
  );

  privateKeyOption(
    common(
      q
        .command('export <id>')
        .description('write a case file: envelope metadata + decrypted record, JSON, mode 0600'),
    ),
  )
    .requiredOption('-o, --out <file>', 'case file to create (never overwritten)')
    .action(
      action(async (id: string, o: Common & { privateKey?: string; out: string }) => {
        const key = loadPrivateKey(privateKeyFile(o));
        const ctx = toolContext({ config: o.config });
        const r = review(ctx, o);
        const item = await r.get(parseCoordinates(id));
        const opened = await r.open(item, key);
        const doc = {
          caseFileVersion: 1,
          exportedAt: new Date().toISOString(),
          exportedBy: principalOf(ctx),
          envelope: envelopeSummary(item),
          record: openedToJson(opened),
        };
        try {
          writeFileSync(o.out, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new SluiceError(
              ErrorCodes.FILE_EXISTS,
              `${o.out} exists; a case file is never overwritten`,
              { hint: 'choose another --out path' },
            );
          }
          throw err;
        }
        process.stdout.write(`${o.out}\n`);
      }),
    );

  privateKeyOption(
    common(
      q
        .command('release <id>')
        .description('release a false positive to its clean or redacted topic, exactly once, audited'),
    ),
  )
    .requiredOption('--to <output>', 'clean | redacted')
    .option(
      '--principal <name>',
      'the person releasing it; with SASL the audit names the authenticated user "on behalf of" them (default: kafka.sasl.username, else the OS user)',
    )
    .option('--transactional-id <id>', "security's transactional id", 'sluice-security-release')
    .action(
      action(
        async (
          id: string,
          o: Common & { privateKey?: string; to: string; principal?: string; transactionalId: string },
        ) => {
          if (o.to !== 'clean' && o.to !== 'redacted')
            throw new SluiceError(ErrorCodes.CONFIG_INVALID, `--to must be clean or redacted, got '${o.to}'`);
          const key = loadPrivateKey(privateKeyFile(o));
          const ctx = toolContext({ config: o.config });
          const res = await releaseQuarantined(ctx.kafka, ctx.registry, ctx.config, {
            at: parseCoordinates(id),
            to: o.to,
            principal: releasedBy(ctx, o.principal),
            transactionalId: o.transactionalId,
            privateKey: key,
            groupPrefix: o.groupPrefix,
            instanceId: `sluice-cli@${hostname()}`,
          });
          process.stdout.write(
            `released ${res.source} -> ${formatCoordinates(res.target)} (audited in ${res.audit.topic}/${res.audit.partition})\n`,
          );
        },
      ),
    );

  common(
    q
      .command('shred [ids...]')
      .description('crypto-shred payloads: tombstone their data keys (data-key layout only)'),
  )
    .option('--key-fingerprint <hex>', 'every record whose key has this fingerprint (erasure request)')
    .option('--until <time>', 'every record decided at or before this time (end of retention)')
    .option('--yes', 'do it (without: print what would be shredded)')
    .action(
      action(
        async (ids: string[], o: Common & { keyFingerprint?: string; until?: string; yes?: boolean }) => {
          const ctx = toolContext({ config: o.config });
          if (ctx.config.quarantine.dataKeys !== 'topic') {
            throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'shredding needs quarantine.dataKeys: topic', {
              hint: 'with inline data keys a payload can only be erased by deleting or rewriting the quarantine topic',
            });
          }
          const r = review(ctx, o);
          let items: QuarantineItem[] = [];
          if (ids.length > 0) for (const id of ids) items.push(await r.get(parseCoordinates(id)));
          else if (o.keyFingerprint || o.until) {
            const f: QuarantineFilter = {};
            if (o.keyFingerprint) f.keyFingerprint = o.keyFingerprint;
            const until = parseTime(o.until, '--until');
            if (until !== undefined) f.untilMs = until;
            items = await r.list(f);
          } else
            throw new SluiceError(
              ErrorCodes.CONFIG_INVALID,
              'name records to shred: ids, --key-fingerprint or --until',
            );
          const byTopic = new Map<string, string[]>();
          for (const it of items) {
            const e = it.envelope;
            if (!e.envelopeId || !e.dataKeyTopic) continue; // inline-layout envelopes cannot be shredded this way
            let l = byTopic.get(e.dataKeyTopic);
            if (!l) byTopic.set(e.dataKeyTopic, (l = []));
            l.push(e.envelopeId);
          }
          const total = [...byTopic.values()].reduce((n, l) => n + l.length, 0);
          if (!o.yes) {
            process.stdout.write(
              `would shred ${total} payload(s) of ${items.length} matching record(s); add --yes\n`,
            );
            return;
          }
          for (const [topic, list] of byTopic) await shredDataKeys(ctx.kafka, topic, list);
          process.stdout.write(
            `shredded ${total} payload(s); unreadable now, and gone from disk once ${[...byTopic.keys()].join(', ')} is compacted\n`,
          );
        },
      ),
    );
}

/**
 * Who the audit says released a record. With SASL the authenticated Kafka user always comes first
 * (the broker vouches for it); --principal can only add the person it acted for, never replace it.
 */
function releasedBy(ctx: ToolContext, principal: string | undefined): string {
  const authenticated = ctx.config.kafka.sasl?.username;
  if (authenticated === undefined) return principal ?? userInfo().username;
  return principal === undefined || principal === authenticated
    ? authenticated
    : `${authenticated} on behalf of ${principal}`;
}

function principalOf(ctx: ToolContext): string {
  return ctx.config.kafka.sasl?.username ?? userInfo().username;
}
