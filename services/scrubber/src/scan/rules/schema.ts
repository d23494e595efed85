import { z } from 'zod';
import { ANCHOR_KINDS } from '../prefilter/anchors';
import { VALIDATOR_NAMES } from '../validators/registry';

/**
 * Rule file format, version 1 (the contract with rule authors). Strict objects: an unknown key
 * is an error, so a typo (`keyword:`) cannot silently disable a rule.
 */
export const RULES_FORMAT_VERSION = 1;

const kebab = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'kebab-case id (a-z, 0-9, single dashes)');
const asciiKeyword = z
  .string()
  .min(2, 'at least 2 chars')
  .regex(/^[\x20-\x7e]+$/, 'printable ASCII (the prefilter folds A-Z only)');

export const actionSchema = z.enum(['redact', 'quarantine']);
export const categorySchema = z.enum(['credential', 'private-key', 'pii', 'confidential', 'network']);

const sampleSchema = z.strictObject({ text: z.string().min(1), secret: z.string().min(1) });

export const ruleSchema = z
  .strictObject({
    id: kebab,
    description: z.string().min(1),
    category: categorySchema,
    action: actionSchema,
    label: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'UPPER_SNAKE label'),
    keywords: z.array(asciiKeyword).default([]),
    anchor: z.enum(ANCHOR_KINDS).nullable().default(null),
    pattern: z.string().min(1),
    secretGroup: z.number().int().min(0).max(9).default(1),
    // A match must fit one RE2 input (MAX_REGEX_INPUT_CHARS = 16384) so the chunker can hold it whole.
    maxLength: z.number().int().min(1).max(16000).default(256),
    caseInsensitive: z.boolean().default(false),
    minEntropy: z.number().min(0).max(8).nullable().default(null),
    // digits anchor: a digit run with fewer digits cannot hold a match, so RE2 is not called on it.
    minDigits: z.number().int().min(1).max(64).nullable().default(null),
    // digits anchor: a literal that must occur in the digit run or just before it (`+` for E.164).
    runContains: z.string().min(1).max(4).nullable().default(null),
    // digits anchor: every match has a separator between its digits (a dashed SSN, a dotted CPF),
    // so a run of bare digits (timestamps, numeric ids) cannot hold one and RE2 is not called.
    separated: z.boolean().default(false),
    // entropy / base64 anchors: fewest ASCII capitals (A-Z) a match needs. The anchor's hit is a
    // whole token run, which holds any match made of token characters; a run with fewer capitals
    // (a lower-case UUID, a hex id) is not handed to RE2.
    minUpper: z.number().int().min(1).max(64).nullable().default(null),
    validators: z.array(z.enum(VALIDATOR_NAMES as [string, ...string[]])).default([]),
    allowlist: z
      .strictObject({
        patterns: z.array(z.string().min(1)).default([]),
        stopwords: z.array(z.string().min(1)).default([]),
      })
      .default({ patterns: [], stopwords: [] }),
    // words: a match needs one of them within `window` chars (required, the default when words
    // are given) or, with `required: false`, a nearby word stands in for `minEntropy` (a boost).
    // exclude: a match with one of these words in the `window` chars BEFORE it is dropped
    // (`build 5.2.41.194` is a version, not an address). Both are lower-cased substrings.
    context: z
      .strictObject({
        words: z.array(z.string().min(1)).default([]),
        window: z.number().int().min(1).max(4096).default(40),
        required: z.boolean().optional(),
        exclude: z.array(z.string().min(1)).default([]),
      })
      .refine((c) => c.words.length > 0 || c.exclude.length > 0, {
        message: 'context needs words or exclude',
      })
      .refine((c) => c.required !== true || c.words.length > 0, {
        message: 'required: true needs words',
        path: ['required'],
      })
      .transform((c) => ({ ...c, required: c.required ?? c.words.length > 0 }))
      .nullable()
      .default(null),
    shadow: z.boolean().default(false),
    enabled: z.boolean().default(true),
    // A rule for a shape many secrets share (a bearer header, `password=`): on the very same span
    // a specific rule wins, so findings name the real kind. Default: ids starting with `generic-`.
    generic: z.boolean().optional(),
    samples: z
      .strictObject({
        positive: z.array(sampleSchema).default([]),
        negative: z.array(z.string()).default([]),
      })
      .optional(),
  })
  .refine((r) => r.minDigits === null || r.anchor === 'digits', {
    message: 'minDigits needs anchor: digits',
    path: ['minDigits'],
  })
  .refine((r) => !r.separated || r.anchor === 'digits', {
    message: 'separated needs anchor: digits',
    path: ['separated'],
  })
  .refine((r) => r.runContains === null || r.anchor === 'digits', {
    message: 'runContains needs anchor: digits',
    path: ['runContains'],
  })
  .refine((r) => r.minUpper === null || r.anchor === 'entropy' || r.anchor === 'base64', {
    message: 'minUpper needs anchor: entropy or base64 (a token-run anchor)',
    path: ['minUpper'],
  })
  .refine((r) => r.keywords.length > 0 || r.anchor !== null, {
    message: 'a rule needs keywords or an anchor (the prefilter must be able to select it)',
    path: ['keywords'],
  });

export const ruleFileSchema = z.strictObject({
  version: z.literal(RULES_FORMAT_VERSION),
  rules: z.array(z.unknown()).min(1),
});

export type RuleSpec = z.infer<typeof ruleSchema>;

const overrideSchema = z.strictObject({
  action: actionSchema.optional(),
  shadow: z.boolean().optional(),
  enabled: z.boolean().optional(),
});
export type RuleOverride = z.infer<typeof overrideSchema>;

/** `rules`: per rule id; `sources`: per source, per rule id. Later layers win. */
export const overridesSchema = z.strictObject({
  rules: z.record(z.string(), overrideSchema).default({}),
  sources: z.record(z.string(), z.record(z.string(), overrideSchema)).default({}),
});
export type RuleOverrides = z.input<typeof overridesSchema>;
export type ParsedOverrides = z.infer<typeof overridesSchema>;
