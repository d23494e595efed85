export { WorkerPool } from './worker-pool';
export type { BatchScanOutput, BatchScanStats, WorkerPoolEvents, WorkerRestartEvent } from './worker-pool';
export type { WorkerPoolOptions } from './pool-options';
export { createEngineFromModule } from './engine-loader';
export type { LoadedEngine } from './engine-loader';
export type { Transport } from './protocol';
