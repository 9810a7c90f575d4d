import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // a private PostgreSQL cluster for the store and replica tests
    globalSetup: ['test/global-postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // tests start real registries on free loopback ports; two cores → two forks
    pool: 'forks',
    maxWorkers: 2,
  },
});
