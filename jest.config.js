// Unit tests sit next to the code (`*.test.ts`); e2e tests live in test/e2e and share one real
// control plane started by test/cluster/globalSetup.ts.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];
// @kubernetes/client-node 1.x and some of its dependencies ship ESM only; jest's CommonJS runtime
// (unlike Node 20.19+'s require) cannot load them untransformed.
const esmOnly = [
  '@kubernetes/client-node',
  'openid-client',
  'oauth4webapi',
  'jose',
  'jsonpath-plus',
  'rfc4648',
];
const common = {
  transform: { '^.+\\.(t|j)sx?$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.cache/'],
};

module.exports = {
  reporters: ['default', '<rootDir>/test/cluster/failureReporter.js'],
  testSequencer: '<rootDir>/test/cluster/sequencer.js',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/e2e/',
        '<rootDir>/test/chaos/',
        '<rootDir>/dist/',
        '<rootDir>/.cache/',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/cluster/globalSetup.ts',
      globalTeardown: '<rootDir>/test/cluster/globalTeardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/cluster/e2eSetup.ts'],
      slowTestThreshold: 60,
    },
    {
      // Its own control plane per run (it restarts the apiserver and etcd) and manager processes from dist/.
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
      slowTestThreshold: 300,
    },
  ],
};
