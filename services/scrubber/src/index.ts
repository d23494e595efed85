// The package's programmatic surface (`require('@sluice/scrubber')`): the service, its config and
// errors, and the scan engine without Kafka. The CLI (`sluice`) is the supported interface; the
// canary reaches deeper modules through `@sluice/scrubber/dist/...`.
export { Scrubber } from './scrubber';
export type { ScrubberOptions } from './scrubber';
export { loadConfig } from './config/load-config';
export type { LoadOptions, ResolvedSource, SluiceConfig } from './config/load-config';
export { ErrorCodes, SluiceError, describeError } from './errors';
export type { ErrorCode } from './errors';
export * from './scan';
