// The soak run is a command (scripts/soak/run.sh), not part of CI: its own jest config, same
// transform as the test tiers, no global broker setup (it starts a broker of its own).
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..');
module.exports = {
  rootDir: root,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  testMatch: ['<rootDir>/scripts/soak/*.soak.ts'],
  testTimeout: 24 * 3600 * 1000,
};
