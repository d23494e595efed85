import { ErrorCodes, SluiceError } from '../../errors';
import type { RuleSpec } from './schema';

const DOMAIN = /^(?=.{2,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/; // engine-internal

/**
 * The `internal-domain` rule, generated from configuration: hostnames under the organisation's
 * internal domains are confidential (they map the internal network). Domains are validated
 * (LDH labels) before they go into an RE2 pattern, and dots are escaped.
 */
export function internalDomainSpec(domains: readonly string[]): RuleSpec {
  const clean = domains.map((d) => d.trim().toLowerCase().replace(/^\.+/, ''));
  for (const d of clean) {
    if (!DOMAIN.test(d))
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `internalDomains: "${d}" is not a domain name`, {
        hint: 'e.g. corp.example.com',
      });
  }
  const alts = clean.map((d) => d.replace(/\./g, '\\.')).join('|');
  const first = clean[0]!;
  return {
    id: 'internal-domain',
    description: 'Hostname under a configured internal domain',
    category: 'confidential',
    action: 'redact',
    label: 'INTERNAL_HOST',
    keywords: clean,
    anchor: null,
    pattern: `(?:^|[^a-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)*(?:${alts}))(?:$|[^a-z0-9-])`,
    secretGroup: 1,
    maxLength: 253,
    caseInsensitive: true,
    minEntropy: null,
    minDigits: null,
    minUpper: null,
    runContains: null,
    separated: false,
    generic: false,
    validators: [],
    allowlist: { patterns: [], stopwords: [] },
    context: null,
    shadow: false,
    enabled: true,
    samples: {
      positive: [{ text: `see build01.${first} now`, secret: `build01.${first}` }],
      negative: ['nothing internal here'],
    },
  };
}
