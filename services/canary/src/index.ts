export { CanaryService } from './canary-service';
export { CanaryMetrics } from './canary-metrics';
export { CanaryLedger } from './canary-ledger';
export { loadCanaryConfig, CANARY_TYPES, type CanaryConfig, type CanaryType } from './config';
export { CANARY_HEADER, buildCanary } from './canary-records';
