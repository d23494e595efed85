/** Public surface of the detection engine (the worker pool and pipeline import from here). */
export { ScanEngine } from './engine';
export type { ScanEngineOptions } from './engine';
export { redactText, placeholder } from './redact';
export { normalise } from './normalise';
export type { Normalised } from './normalise';
export { checkRuleSamples, validateBuiltinSamples } from './rules/sample-check';
export type { SampleFailure } from './rules/sample-check';
export { loadRuleset, parseRuleFile, listRuleFiles, BUILTIN_RULES_DIR } from './rules/loader';
export type { RuleOverrides } from './rules/schema';
export type { CompiledRule } from './rules/compiled-rule';
export { createRegexEngine, MAX_REGEX_INPUT_CHARS } from './regex-engine';
export type { RegexEngine, RegexEngineKind } from './regex-engine';
export { loadNativeRe2 } from './regex/re2-native';
export { VALIDATORS } from './validators/registry';
export type * from './types';
