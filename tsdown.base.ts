import { readFileSync } from 'node:fs'
import { defineConfig, type UserConfig } from 'tsdown'

/**
 * The build every package shares: ESM and CJS with type declarations (`.mjs`/`.cjs`,
 * `.d.mts`/`.d.cts`), source maps, dependencies left external.
 */
export function packageBuild(entry: string[], overrides: Partial<UserConfig> = {}): UserConfig {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    fixedExtension: true,
    clean: true,
    sourcemap: true,
    tsconfig: '../../tsconfig.base.json',
    ...overrides,
  }) as UserConfig
}

/**
 * The sources of a package's entry points, read from its package.json `exports` (`.` is
 * `src/index.ts`, `./node` is `src/node.ts`): the exports are the one list of entry points, so
 * a new subpath (an adapter) is one line there. `configUrl` is the tsdown config's `import.meta.url`.
 */
export function exportedEntries(configUrl: string): string[] {
  const manifest = JSON.parse(readFileSync(new URL('package.json', configUrl), 'utf8')) as { exports: Record<string, unknown> }
  return Object.keys(manifest.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => (subpath === '.' ? 'src/index.ts' : `src/${subpath.slice(2)}.ts`))
}
