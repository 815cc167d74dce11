import { readdirSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig, type ViteUserConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))
const packages = readdirSync(`${root}packages`).filter((name) =>
  existsSync(`${root}packages/${name}/package.json`),
)
// Projects with a test/runtimes suite, which runs dist on Bun, Deno and workerd: their global
// setup builds what is missing or stale.
const runtimeSuites = packages.filter((name) => existsSync(`${root}packages/${name}/test/runtimes`))

const POSTGRES_PROJECTS = new Set(['store-postgres'])

// Tests run against the sources: `@pytrack/x` and `@pytrack/x/sub` resolve to
// `packages/x/src/index.ts` and `packages/x/src/sub.ts`, so no build is needed.
const config: ViteUserConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@pytrack\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@pytrack\/([a-z-]+)\/([a-z-]+)$/, replacement: `${root}packages/$1/src/$2.ts` },
      { find: /^#test-utils\/(.*)$/, replacement: `${root}test-utils/$1` },
    ],
  },
  test: {
    projects: [
      // Tests of the monorepo as a whole (test/): the packed packages in a new app, the READMEs.
      {
        extends: true as const,
        test: {
          name: 'monorepo',
          root,
          include: ['test/**/*.test.ts'],
          globalSetup: [`${root}test-utils/built-all-packages.ts`],
        },
      },
      ...packages.map((name) => ({
      extends: true as const,
      test: {
        name,
        root: `${root}packages/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        // A package's test/setup.ts runs before each of its test files (e.g. the server's OpenAPI check).
        setupFiles: existsSync(`${root}packages/${name}/test/setup.ts`) ? [`${root}packages/${name}/test/setup.ts`] : [],
        // Built packages for the runtime suites; a real PostgreSQL for the projects that test on it (started once for the run).
        globalSetup: [
          ...(runtimeSuites.includes(name) ? [`${root}test-utils/built-packages.ts`] : []),
          // The server starts its built adapt worker (dist/adapt-worker.mjs) even when tested from src.
          ...(name === 'server' ? [`${root}test-utils/built-server.ts`] : []),
          ...(POSTGRES_PROJECTS.has(name) ? [`${root}test-utils/postgres-global-setup.ts`] : []),
        ],
      },
    })),
    ],
    reporters: ['default', 'json'],
    outputFile: { json: `${root}reports/vitest.json` },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})

export default config
