#!/usr/bin/env node
// One command from a fresh clone: makes sure pnpm is there, installs the workspace,
// then runs the task named on the command line (`start`, `test`, or nothing to only set up).
// Needs only node and npm.
//
// Each step runs as a child in its own process group, and a SIGTERM, SIGINT or SIGHUP sent to
// this process (or to the npm that started it) is passed on to that group once, so a process
// manager or a script that stops `npm start` stops the server too; this process then exits
// with the child's status.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { constants } from 'node:os'

const PNPM_VERSION = '12.4.2'
const root = resolve(import.meta.dirname, '..')
const task = process.argv[2]
const env = { ...process.env }

// Native modules (better-sqlite3) build from source where no prebuilt binary can be fetched;
// point node-gyp at the machine's Node headers when they are installed system-wide.
if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr'

let running = null
let received = null
function stop(signal) {
  // Once: a Ctrl-C reaches this process twice (from the terminal and from npm, which passes it
  // on); the child stops within its own shutdown time.
  if (received !== null) return
  received = signal
  if (running !== null) kill(running, signal)
  else process.exit(128 + constants.signals[signal])
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(signal))
// npm passes a SIGTERM on to the shell that runs this script, not to this process, and the
// shell dies of it; a killed npm leaves us orphaned too. Either way the parent changes: stop.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM')
}, 200).unref()

function kill(child, signal) {
  try {
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal)
  } catch {
    // already gone
  }
}

/** Runs a step to its end; resolves with its status (128 + the signal number when a signal ended it). */
function run(cmd, args, options = {}) {
  if (received !== null) return Promise.resolve({ ok: false, status: 128 + constants.signals[received] })
  return new Promise((done) => {
    // A process group of its own, so the terminal's Ctrl-C reaches it only through us.
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, env, detached: process.platform !== 'win32', ...options })
    running = child
    child.once('error', (error) => {
      running = null
      done({ ok: false, status: 1, error })
    })
    child.once('exit', (code, signal) => {
      running = null
      const status = code ?? 128 + (constants.signals[signal] ?? 0)
      done({ ok: status === 0, status })
    })
  })
}
const quiet = { stdio: 'ignore' }

async function findPnpm() {
  if (spawnSync('pnpm', ['--version'], { ...quiet, env }).status === 0) return 'pnpm'
  console.log(`[setup] pnpm not found: installing pnpm@${PNPM_VERSION} with npm`)
  if ((await run('npm', ['install', '--global', `pnpm@${PNPM_VERSION}`])).ok && spawnSync('pnpm', ['--version'], { ...quiet, env }).status === 0) {
    return 'pnpm'
  }
  // No write access to npm's global folder: keep a project-local copy instead.
  const local = resolve(root, '.tools')
  if (!(await run('npm', ['install', '--prefix', local, '--no-save', `pnpm@${PNPM_VERSION}`])).ok) {
    console.error('[setup] could not install pnpm with npm; install it by hand: npm install -g pnpm@' + PNPM_VERSION)
    process.exit(1)
  }
  env.PATH = `${resolve(local, 'node_modules/.bin')}${delimiter}${env.PATH ?? ''}`
  return 'pnpm'
}

function newestInput(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !/\.test(-d)?\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** The packages whose dist is missing or older than their sources, package.json or build config. */
function stalePackages() {
  const packages = join(root, 'packages')
  return readdirSync(packages).filter((name) => {
    const dir = join(packages, name)
    const built = join(dir, 'dist', 'index.mjs')
    if (!existsSync(join(dir, 'package.json'))) return false
    if (!existsSync(built)) return true
    const config = join(dir, 'tsdown.config.ts')
    const inputs = Math.max(newestInput(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs, existsSync(config) ? statSync(config).mtimeMs : 0)
    return inputs > statSync(built).mtimeMs
  })
}

const pnpm = await findPnpm()
const install = await run(pnpm, ['install', '--frozen-lockfile=' + String(existsSync(resolve(root, 'pnpm-lock.yaml')))])
if (!install.ok) {
  if (received === null) console.error('[setup] pnpm install failed')
  process.exit(install.status)
}

if (task === undefined) process.exit(0)
if (task === 'start') {
  // Only the packages whose sources changed since their last build are built; then the server
  // is our own child, so its exit status is ours.
  const stale = stalePackages()
  if (stale.length > 0) {
    const build = await run(pnpm, [...stale.flatMap((name) => ['--filter', `./packages/${name}`]), 'run', 'build'])
    if (!build.ok) process.exit(build.status)
  }
  process.exit((await run(process.execPath, [join(root, 'packages/server/dist/cli.mjs'), 'serve', ...process.argv.slice(3)])).status)
}
const tasks = { test: 'test:all' }
const script = tasks[task]
if (!script) {
  console.error(`[setup] unknown task ${task}; use one of: start, ${Object.keys(tasks).join(', ')}`)
  process.exit(2)
}
process.exit((await run(pnpm, ['run', script, ...process.argv.slice(3)])).status)
