// Three projects: pure unit tests, end-to-end tests against a real control
// plane (test/e2e, global setup starts it), and container tests with real
// mail clients (test/container). test/run-all.sh runs them all.
const common = {
  preset: 'ts-jest/presets/default-esm',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
};

export default {
  // testTimeout is a global option (ignored inside projects): real control
  // planes and containers need more than jest's 5 s.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'node',
      testMatch: ['<rootDir>/test/node/**/*.test.ts'],
      globalSetup: '<rootDir>/test/node/global-setup.ts',
      globalTeardown: '<rootDir>/test/node/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'container',
      testMatch: ['<rootDir>/test/container/**/*.test.ts'],
      globalSetup: '<rootDir>/test/container/global-setup.ts',
    },
  ],
};
