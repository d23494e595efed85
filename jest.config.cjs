// Three tiers (STYLE.md habit 5): unit (no broker), integration + e2e (real broker),
// integrity (kill/restart/rebalance; slower, run by `npm run test:integrity`).
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
  ],
};
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
const withBroker = {
  ...common,
  // Every kafkajs reader in the broker tiers (the invariant checks read outputs and audit
  // read_committed) gets the corrected aborted-transaction filter the services install.
  // Likewise the record encoder the services install (the broker checks every batch's CRC) and
  // the fetch-ahead fetcher (the tests' consumers run on the fetch loop the services run on).
  moduleNameMapper: {
    '^\\./filterAbortedMessages$': '<rootDir>/test/support/kafkajs-aborted-filter.ts',
    '^\\.\\./\\.\\./\\.\\./recordBatch/record/v0$': '<rootDir>/test/support/kafkajs-record-encoder.ts',
    '^\\.\\./\\.\\./\\.\\./recordBatch/v0$': '<rootDir>/test/support/kafkajs-record-batch-encoder.ts',
    '^\\./fetcher$': '<rootDir>/test/support/kafkajs-fetch-ahead.ts',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/services/*/test/**/*.test.ts'] },
    { ...withBroker, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...withBroker, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...withBroker, displayName: 'integrity', testMatch: ['<rootDir>/test/integrity/**/*.test.ts'] },
  ],
};
