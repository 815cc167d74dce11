// Vitest global setup of the projects with runtime suites (test/runtimes): those run the built
// packages (dist) on Bun, Deno and workerd, while every other test runs the sources. `pnpm
// test:all` builds first; a plain `vitest run` builds here what is missing or older than its sources.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './vectors'

/** The packages the runtime suites load (each suite imports core and its own package). */
export const RUNTIME_PACKAGES: readonly string[] = ['core', 'crypto', 'html', 'http']

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || /\.test(-d)?\.ts$/.test(entry.name)) continue
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs) // path: Node 20.11
  }
  return newest
}

function isStale(name: string): boolean {
  const packageDir = join(repoRoot, 'packages', name)
  const built = join(packageDir, 'dist', 'index.mjs')
  if (!existsSync(built)) return true
  const inputs = Math.max(
    newestSource(join(packageDir, 'src')),
    statSync(join(packageDir, 'package.json')).mtimeMs,
    statSync(join(packageDir, 'tsdown.config.ts')).mtimeMs,
  )
  return inputs > statSync(built).mtimeMs
}

// Several projects share this setup; the check and the build run once per vitest process.
const once = Symbol.for('pytrack.built-packages')

/** Builds those of `names` whose dist is missing or older than their sources (once per process). */
export function buildStale(names: readonly string[]): void {
  const state = globalThis as { [once]?: Set<string> }
  const done = (state[once] ??= new Set())
  const stale = names.filter((name) => !done.has(name) && isStale(name))
  for (const name of names) done.add(name)
  if (stale.length === 0) return
  console.log(`[tests] building ${stale.map((name) => `@pytrack/${name}`).join(', ')}: dist is missing or older than src`)
  const filters = stale.flatMap((name) => ['--filter', `@pytrack/${name}`])
  const result = spawnSync('pnpm', [...filters, '--silent', 'run', 'build'], { cwd: repoRoot, stdio: 'inherit' })
  if (result.status !== 0) {
    throw new Error(`building ${stale.join(', ')} failed (${result.error?.message ?? `exit ${String(result.status)}`}); run pnpm build`)
  }
}

export default function setup(): void {
  buildStale(RUNTIME_PACKAGES)
}
