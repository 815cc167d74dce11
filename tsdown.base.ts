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
