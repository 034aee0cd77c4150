// Jest for the plugin: the scaffold's config (.config/, left as generated) plus what this
// plugin needs on top of it.
// Force timezone to UTC so tests that format dates work regardless of the machine's zone.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  ...base,
  // The pages render @grafana/ui (time picker, pagination, tables) in jsdom: a second or two
  // per test alone, several times that with four workers on a busy 2-core runner, past
  // Jest's default 5 s.
  testTimeout: 20_000,
  transform: {
    ...base.transform,
    // Some of Grafana's ESM-only dependencies (d3-color) ship only .mjs files.
    '^.+\\.mjs$': swc,
  },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, 'rrweb-player', '@rrweb', 'rrweb', 'rrdom'])],
  moduleNameMapper: {
    ...base.moduleNameMapper,
    // The player is a Svelte-compiled ESM bundle that cannot replay inside jsdom; tests use a stand-in.
    '^rrweb-player$': '<rootDir>/src/test/rrweb-player.mock.ts',
    '^rrweb-player/dist/style.css$': 'identity-obj-proxy',
  },
};
