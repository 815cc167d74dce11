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
import type { Readable } from 'node:stream'
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

/** Runs `command` to its end (the runtimes' quiet environment) and returns its exit status and output. */
export function runProcess(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return collect(spawn(command, args, { cwd: options.cwd ?? repoRoot, env: quietEnv }))
}

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
    stdin: { contents: source, resolveDir, loader: 'ts', sourcefile: 'pytrack-worker-entry.ts' },
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

/** A Worker running in workerd (through miniflare). */
export interface RunningWorker {
  mf: Miniflare
  /** Where it answers real HTTP. */
  url: URL
  /** What the Worker printed (console.log) and workerd wrote to stderr. */
  output: OutputLines
}

/** Starts a Worker in workerd (through miniflare), serving real HTTP on 127.0.0.1 too. */
export async function startWorker(script: string, options: { nodejsCompat?: boolean } = {}): Promise<RunningWorker> {
  const output = new OutputLines()
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: script }],
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: options.nodejsCompat === false ? [] : [NODEJS_COMPAT],
    cf: false,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      createInterface({ input: stdout }).on('line', (line) => output.push(line))
      createInterface({ input: stderr }).on('line', (line) => output.push(line))
    },
  })
  try {
    return { mf, url: await mf.ready, output }
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

function parsed(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}

type MessageMatch = (message: Record<string, unknown>) => boolean
const isMessage =
  (match: MessageMatch) =>
  (line: string): boolean => {
    const message = parsed(line)
    return message !== undefined && match(message)
  }

/** What a process printed, line by line, to wait on: lines of JSON are messages. */
export class OutputLines {
  readonly #lines: string[] = []
  readonly #waiters: { match: (line: string) => boolean; resolve: (line: string) => void; reject: (error: Error) => void }[] = []
  #ended: Error | undefined

  push(line: string): void {
    this.#lines.push(line)
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(line)) continue
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  }

  /** No more lines will come: pending and later waits reject with `reason` and all that was printed. */
  end(reason: string): void {
    this.#ended = new Error(`${reason}:\n${this.text()}`)
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#ended)
  }

  text(): string {
    return this.#lines.join('\n')
  }

  /** Resolves with the first line (past or future) that `match` accepts. */
  line(match: (line: string) => boolean): Promise<string> {
    const found = this.#lines.find(match)
    if (found !== undefined) return Promise.resolve(found)
    if (this.#ended) return Promise.reject(this.#ended)
    return new Promise((resolve, reject) => this.#waiters.push({ match, resolve, reject }))
  }

  /** Resolves with the first message (a JSON line, past or future) that `match` accepts. */
  async message<T = Record<string, unknown>>(match: MessageMatch): Promise<T> {
    return parsed(await this.line(isMessage(match))) as T
  }

  /** Resolves with the first `count` messages that `match` accepts, once there are that many. */
  async messages<T = Record<string, unknown>>(count: number, match: MessageMatch): Promise<T[]> {
    const matching = (): string[] => this.#lines.filter(isMessage(match))
    while (matching().length < count) {
      const seen = matching().length
      await this.line((line) => isMessage(match)(line) && matching().length > seen)
    }
    return matching()
      .slice(0, count)
      .map((line) => parsed(line) as T)
  }
}

/** A process on Bun or Deno, and what it printed. */
export interface RuntimeProcess {
  /** Its stdout and stderr; waits reject once it has exited, with all it printed. */
  output: OutputLines
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>
}

/** Starts `command` with `args` (a runtime binary) and reads its output; see {@link startOnRuntime}. */
export function startProcess(command: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): RuntimeProcess {
  const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: { ...quietEnv, ...options.env } })
  const output = new OutputLines()
  createInterface({ input: child.stdout }).on('line', (line) => output.push(line))
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line))
  let exited = false
  const closed = new Promise<void>((resolve) =>
    child.on('close', (status, signal) => {
      exited = true
      output.end(`${command} ${args.join(' ')} exited (${String(status ?? signal)})`)
      resolve()
    }),
  )
  return {
    output,
    async stop() {
      if (!exited) child.kill('SIGTERM')
      await closed
    },
  }
}

/**
 * Starts `file` on Bun or Deno (`runtimeArgs` go before the file, `args` after it) and reads
 * its output, so a crash fails the waiting test with the runtime's own words.
 */
export function startOnRuntime(
  runtime: 'bun' | 'deno',
  file: string,
  options: { args?: readonly string[]; runtimeArgs?: readonly string[]; env?: Record<string, string>; cwd?: string } = {},
): RuntimeProcess {
  const [command, args] = commandFor(runtime, file, options.args)
  args.splice(args.indexOf(file), 0, ...(options.runtimeArgs ?? []))
  return startProcess(command, args, options)
}
