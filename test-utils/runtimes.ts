// Runs the built packages (dist) on Bun, Deno and workerd. The binaries come from the npm
// packages `bun`, `deno` and `workerd` (through miniflare), root devDependencies, so a fresh
// clone's `pnpm install` brings them. The packages are imported by name from those runtimes:
// the root package.json lists them as workspace devDependencies, so `@pytrack/core` resolves
// through node_modules to packages/core/package.json's exports, that is to dist.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

export const repoRoot: string = fileURLToPath(new URL('..', import.meta.url))
const requireFromRoot = createRequire(join(repoRoot, 'package.json'))

/** A runtime the built packages are tested on. */
export type Runtime = 'bun' | 'deno' | 'workerd'
export const RUNTIMES: readonly Runtime[] = ['bun', 'deno', 'workerd']

/**
 * The workerd compatibility date the workers run with (at most the date of the workerd that
 * miniflare ships) and the flag that gives them `node:crypto` and `Buffer`.
 */
export const COMPATIBILITY_DATE = '2026-07-01'
export const NODEJS_COMPAT = 'nodejs_compat'

/**
 * The Bun binary. Bun's postinstall (allowed in pnpm-workspace.yaml) puts it in
 * `bun/bin/bun.exe`; where it did not run, that file is a small shell script that only prints an
 * error, and the binary is taken from the platform package the same install brought.
 */
export function bunBinary(): string {
  const packageDir = dirname(requireFromRoot.resolve('bun/package.json'))
  const linked = join(packageDir, 'bin', 'bun.exe')
  if (existsSync(linked) && statSync(linked).size > 1_000_000) return linked
  const platform = `@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`
  const fromPlatform = join(dirname(createRequire(join(packageDir, 'package.json')).resolve(`${platform}/package.json`)), 'bin', 'bun')
  if (existsSync(fromPlatform)) return fromPlatform
  throw new Error(`no Bun binary: neither ${linked} nor ${fromPlatform}; run pnpm install`)
}

/** The Deno binary, found by the deno package's own installer code (it links it on postinstall). */
export function denoBinary(): string {
  const install = createRequire(join(repoRoot, 'package.json'))('deno/install_api.cjs') as { runInstall(): string }
  return install.runInstall()
}

// Bun and esbuild read tsconfig.json's `paths`, which point @pytrack/* at the sources; deno does not.
const noPaths = fileURLToPath(new URL('./no-paths.tsconfig.json', import.meta.url))

// No update checks, prompts or crash reports from the runtimes: the tests reach only 127.0.0.1.
const quietEnv = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', DO_NOT_TRACK: '1', NO_COLOR: '1' }

/** The command line that runs `file` on Bun or Deno with what a test needs (files, 127.0.0.1, env). */
export function commandFor(runtime: 'bun' | 'deno', file: string, args: readonly string[] = []): [string, string[]] {
  if (runtime === 'bun') return [bunBinary(), [`--tsconfig-override=${noPaths}`, file, ...args]]
  return [denoBinary(), ['run', '--allow-read', '--allow-env', '--allow-net=127.0.0.1,0.0.0.0', '--allow-sys', file, ...args]]
}

/** What a scenario threw, as the runtime saw it. */
export interface ScenarioError {
  name: string
  code: unknown
  message: string
}

/** A scenario's answer: what `run(input)` returned, or what it threw. */
export type ScenarioOutcome<T> = { value: T } | { error: ScenarioError }

const runner = fileURLToPath(new URL('./runtime-runner.mjs', import.meta.url))

function collect(child: ChildProcess): Promise<{ status: number | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/**
 * Runs the `run(input)` export of the scenario module `scenario` on `runtime` and returns what it
 * returned or threw. Input and output travel as JSON. On workerd the scenario is bundled as a
 * Worker would be (esbuild, `node:` imports left to the runtime) and called through
 * `dispatchFetch`; `nodejsCompat: false` leaves out the `nodejs_compat` flag. Rejects when the
 * runtime itself fails (a module it cannot load, a crash), with the runtime's message.
 */
export async function runScenario<T>(
  runtime: Runtime,
  scenario: string,
  input: unknown,
  options: { nodejsCompat?: boolean } = {},
): Promise<ScenarioOutcome<T>> {
  if (runtime === 'workerd') return runScenarioOnWorkerd<T>(scenario, input, options.nodejsCompat ?? true)
  const dir = mkdtempSync(join(tmpdir(), `pytrack-${runtime}-`))
  try {
    const inputFile = join(dir, 'input.json')
    writeFileSync(inputFile, JSON.stringify(input))
    const [command, args] = commandFor(runtime, runner, [scenario, inputFile])
    const { status, stdout, stderr } = await collect(spawn(command, args, { cwd: repoRoot, env: quietEnv }))
    const last = stdout.trimEnd().split('\n').at(-1) ?? ''
    if (status !== 0 || !last.startsWith('{')) {
      throw new Error(`${runtime} exited with ${String(status)} running ${scenario}:\n${stderr}${stdout}`)
    }
    return JSON.parse(last) as ScenarioOutcome<T>
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Bundles `source` (an ES module, resolved from `resolveDir`) into one Worker module, as
 * wrangler does: esbuild with the `workerd` and `worker` export conditions, `node:` modules left
 * as imports for the runtime to provide (or refuse).
 */
export async function bundleWorker(source: string, resolveDir: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: 'ts', sourcefile: 'worker.ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'import'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    tsconfigRaw: {},
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild produced no worker')
  return output.text
}

/** Starts a Worker in workerd (through miniflare), serving real HTTP on 127.0.0.1 too. */
export async function startWorker(script: string, options: { nodejsCompat?: boolean } = {}): Promise<{ mf: Miniflare; url: URL }> {
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: script }],
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: options.nodejsCompat === false ? [] : [NODEJS_COMPAT],
    cf: false,
    host: '127.0.0.1',
    port: 0,
  })
  try {
    return { mf, url: await mf.ready }
  } catch (error) {
    await mf.dispose().catch(() => undefined)
    throw error
  }
}

async function runScenarioOnWorkerd<T>(scenario: string, input: unknown, nodejsCompat: boolean): Promise<ScenarioOutcome<T>> {
  const script = await bundleWorker(
    `import { run } from ${JSON.stringify(scenario)}
     import { outcomeOf } from ${JSON.stringify(fileURLToPath(new URL('./runtime-outcome.mjs', import.meta.url)))}
     export default { async fetch(request) { return Response.json(await outcomeOf(run, await request.json())) } }`,
    dirname(scenario),
  )
  const { mf } = await startWorker(script, { nodejsCompat })
  try {
    const response = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: JSON.stringify(input) })
    return (await response.json()) as ScenarioOutcome<T>
  } finally {
    await mf.dispose()
  }
}

/** A child process whose stdout is read as lines of JSON, one message a line. */
export interface RuntimeProcess {
  /** Resolves with the first message (past or future) that `match` accepts. */
  message<T = Record<string, unknown>>(match: (message: Record<string, unknown>) => boolean): Promise<T>
  /** Everything the process wrote to stdout so far, JSON or not. */
  readonly output: () => string
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Starts `file` on Bun or Deno and reads its stdout. Rejects any pending `message()` when the
 * process exits first, with its stderr, so a crash fails the test with the runtime's words.
 */
export function startOnRuntime(
  runtime: 'bun' | 'deno',
  file: string,
  options: { args?: readonly string[]; env?: Record<string, string>; cwd?: string } = {},
): RuntimeProcess {
  const [command, args] = commandFor(runtime, file, options.args)
  const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: { ...quietEnv, ...options.env } })
  const messages: Record<string, unknown>[] = []
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: unknown) => void; reject: (e: Error) => void }[] = []
  let output = ''
  let stderr = ''
  let exited: Error | undefined
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  createInterface({ input: child.stdout }).on('line', (line) => {
    output += line + '\n'
    if (!line.startsWith('{')) return
    let message: Record<string, unknown>
    try {
      message = JSON.parse(line) as Record<string, unknown>
    } catch {
      return
    }
    messages.push(message)
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(message)
      }
    }
  })
  const closed = new Promise<void>((resolve) =>
    child.on('close', (status, signal) => {
      exited = new Error(`${runtime} ${file} exited (${String(status ?? signal)}):\n${stderr}${output}`)
      for (const waiter of waiters.splice(0)) waiter.reject(exited)
      resolve()
    }),
  )
  return {
    message<T>(match: (message: Record<string, unknown>) => boolean): Promise<T> {
      const found = messages.find(match)
      if (found) return Promise.resolve(found as T)
      if (exited) return Promise.reject(exited)
      return new Promise<T>((resolve, reject) => waiters.push({ match, resolve: resolve as (m: unknown) => void, reject }))
    },
    output: () => output,
    async stop() {
      if (!exited) child.kill('SIGTERM')
      await closed
    },
  }
}
