import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { ErrorCodes, SluiceError } from '../errors';

/**
 * The part of a gitleaks v8 config (https://github.com/gitleaks/gitleaks#configuration) that the
 * import reads. Loose objects: gitleaks has keys we do not use (`[extend]`, `tags`, ...) and an
 * import must not fail on them; what is dropped is reported by the converter.
 */
const allowlistSchema = z.looseObject({
  description: z.string().optional(),
  condition: z.enum(['OR', 'AND', 'or', 'and']).optional(),
  regexTarget: z.enum(['secret', 'match', 'line']).optional(),
  regexes: z.array(z.string()).default([]),
  stopwords: z.array(z.string()).default([]),
  paths: z.array(z.string()).default([]),
  commits: z.array(z.string()).default([]),
});
export type GitleaksAllowlist = z.infer<typeof allowlistSchema>;

const ruleSchema = z.looseObject({
  id: z.string().min(1),
  description: z.string().optional(),
  regex: z.string().optional(),
  path: z.string().optional(),
  secretGroup: z.number().int().min(0).optional(),
  entropy: z.number().min(0).optional(),
  keywords: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  // v8.21+ `[[rules.allowlists]]`; older `[rules.allowlist]`.
  allowlists: z.array(allowlistSchema).default([]),
  allowlist: allowlistSchema.optional(),
});
export type GitleaksRule = z.infer<typeof ruleSchema>;

const configSchema = z.looseObject({
  title: z.string().optional(),
  extend: z.unknown().optional(),
  rules: z.array(ruleSchema).default([]),
  allowlist: allowlistSchema.optional(),
  allowlists: z.array(allowlistSchema).default([]),
});
export type GitleaksConfig = z.infer<typeof configSchema>;

/** Parse and validate a gitleaks TOML config; throws RULES_INVALID naming the key. */
export function parseGitleaksConfig(toml: string, name: string): GitleaksConfig {
  let doc: unknown;
  try {
    doc = parseToml(toml);
  } catch (err) {
    throw new SluiceError(
      ErrorCodes.RULES_INVALID,
      `${name}: not valid TOML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const r = configSchema.safeParse(doc);
  if (!r.success) {
    const msg = r.error.issues
      .map((i) => `key '${i.path.map(String).join('.') || '(root)'}': ${i.message}`)
      .join('; ');
    throw new SluiceError(ErrorCodes.RULES_INVALID, `${name}: not a gitleaks config: ${msg}`);
  }
  return r.data;
}
