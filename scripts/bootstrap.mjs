#!/usr/bin/env node
// One command from a fresh clone: makes sure pnpm is there, installs the workspace,
// then runs the task named on the command line (`start`, `test`, or nothing to only set up).
// Needs only node and npm.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, resolve } from 'node:path'

const PNPM_VERSION = '12.4.2'
const root = resolve(import.meta.dirname, '..')
const task = process.argv[2]
const env = { ...process.env }

// Native modules (better-sqlite3) build from source where no prebuilt binary can be fetched;
// point node-gyp at the machine's Node headers when they are installed system-wide.
if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr'

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env, ...options })
  if (result.error) return { ok: false, status: 1, error: result.error }
  return { ok: result.status === 0, status: result.status ?? 1 }
}
const quiet = { stdio: 'ignore' }

function findPnpm() {
  if (run('pnpm', ['--version'], quiet).ok) return 'pnpm'
  console.log(`[setup] pnpm not found: installing pnpm@${PNPM_VERSION} with npm`)
  if (run('npm', ['install', '--global', `pnpm@${PNPM_VERSION}`]).ok && run('pnpm', ['--version'], quiet).ok) {
    return 'pnpm'
  }
  // No write access to npm's global folder: keep a project-local copy instead.
  const local = resolve(root, '.tools')
  if (!run('npm', ['install', '--prefix', local, '--no-save', `pnpm@${PNPM_VERSION}`]).ok) {
    console.error('[setup] could not install pnpm with npm; install it by hand: npm install -g pnpm@' + PNPM_VERSION)
    process.exit(1)
  }
  env.PATH = `${resolve(local, 'node_modules/.bin')}${delimiter}${env.PATH ?? ''}`
  return 'pnpm'
}

const pnpm = findPnpm()
const install = run(pnpm, ['install', '--frozen-lockfile=' + String(existsSync(resolve(root, 'pnpm-lock.yaml')))])
if (!install.ok) {
  console.error('[setup] pnpm install failed')
  process.exit(install.status)
}

const tasks = { start: 'start:main', test: 'test:all' }
if (task === undefined) process.exit(0)
const script = tasks[task]
if (!script) {
  console.error(`[setup] unknown task ${task}; use one of: ${Object.keys(tasks).join(', ')}`)
  process.exit(2)
}
process.exit(run(pnpm, ['run', script, ...process.argv.slice(3)]).status)
