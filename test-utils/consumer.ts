// A new user's app, made from the packed packages: `pnpm pack` of every workspace package (what
// npm would publish), unpacked into an app's node_modules beside the third-party packages they
// depend on, so a test can type-check code against exactly what users install.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import ts from 'typescript'
import { repoRoot } from './vectors'

/** The workspace's publishable packages: their folder names under `packages/`. */
export function workspacePackages(): string[] {
  return readdirSync(join(repoRoot, 'packages')).filter((name) => {
    const manifest = join(repoRoot, 'packages', name, 'package.json')
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).private !== true
  })
}

/** Every public entry point of the workspace (`@pytrack/http/node`...), from each package.json's exports. */
export function workspaceEntries(): string[] {
  return workspacePackages().flatMap((name) => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> }
    return Object.keys(manifest.exports ?? { '.': null })
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`))
  })
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd} failed: ${result.stderr || result.error?.message}`)
  return result.stdout
}

/** Where `name` is installed for code in `from` (Node's lookup: each node_modules up the tree). */
function installedFor(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Installs `name` (found from `from`) and, flat as npm does, its dependencies and the peer
 * dependencies it can find, into `modules`. The tree is what an npm user has: with
 * `preserveSymlinks` nothing resolves through pnpm's store (whose hidden hoisting would lend
 * every package `@types/node`).
 */
function install(name: string, from: string, modules: string): void {
  const path = join(modules, name)
  if (existsSync(path)) return
  const target = installedFor(name, from)
  if (!target) return
  mkdirSync(dirname(path), { recursive: true })
  symlinkSync(target, path, 'dir')
  for (const dependency of dependenciesOf(target)) install(dependency, target, modules)
}

/** What the package in `dir` installs with it: its dependencies, peer and optional dependencies. */
function dependenciesOf(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
  return ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((group) => Object.keys(manifest[group] ?? {}))
}

/** Tarballs of every workspace package, packed once into a new temporary folder. */
export function packWorkspace(): Map<string, string> {
  const destination = mkdtempSync(join(tmpdir(), 'pytrack-packed-'))
  const tarballs = new Map<string, string>()
  for (const name of workspacePackages()) {
    const output = run('pnpm', ['pack', '--pack-destination', destination], join(repoRoot, 'packages', name))
    const tarball = output.split('\n').map((line) => line.trim()).reverse().find((line) => line.endsWith('.tgz'))
    if (!tarball) throw new Error(`pnpm pack of packages/${name} printed no tarball:\n${output}`)
    tarballs.set(name, tarball)
  }
  return tarballs
}

/** What an app gets besides the pytrack packages. */
export interface ConsumerOptions {
  /** More packages to install from where the workspace has them: `@types/node`, `express`... */
  readonly packages?: readonly string[]
}

/** A new app folder (`"type": "module"`) with the packed packages installed. */
export interface ConsumerApp {
  readonly dir: string
  /** Strict type errors of `files` (name → source, written into the app), with `types` loaded. */
  typeErrors(files: Readonly<Record<string, string>>, types: readonly string[]): string[]
}

/**
 * Unpacks `tarballs` into a new app's node_modules and links each one's third-party dependencies
 * (and peer dependencies the workspace has) from where the workspace installed them.
 */
export function consumerApp(tarballs: Map<string, string>, options: ConsumerOptions = {}): ConsumerApp {
  const dir = mkdtempSync(join(tmpdir(), 'pytrack-app-'))
  const modules = join(dir, 'node_modules')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  for (const [name, tarball] of tarballs) {
    const target = join(modules, '@pytrack', name)
    mkdirSync(target, { recursive: true })
    run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dir)
    for (const dependency of dependenciesOf(target)) {
      if (!dependency.startsWith('@pytrack/')) install(dependency, join(repoRoot, 'packages', name), modules)
    }
  }
  const workspaceDirs = [repoRoot, ...workspacePackages().map((name) => join(repoRoot, 'packages', name))]
  for (const extra of options.packages ?? []) {
    const from = workspaceDirs.find((base) => existsSync(join(base, 'node_modules', extra, 'package.json')))
    if (!from) throw new Error(`${extra} is not installed in the workspace`)
    install(extra, from, modules)
  }
  return {
    dir,
    typeErrors(files, types) {
      const paths = Object.entries(files).map(([file, source]) => {
        const path = join(dir, file)
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, source)
        return path
      })
      const program = ts.createProgram(paths, {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: [...types],
        typeRoots: [join(modules, '@types')], // not the cwd's (the workspace's), as a tsconfig in the app would
        preserveSymlinks: true,
      })
      return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const where = diagnostic.file ? `${diagnostic.file.fileName.replace(`${dir}/`, '')}: ` : ''
        return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      })
    },
  }
}
