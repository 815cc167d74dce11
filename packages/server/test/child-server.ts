// Runs `pytrack serve` (the CLI, from its TypeScript sources through tsx) as a child process,
// as an operator would, and finds where it listens from its JSON log.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

export interface ChildServer {
  child: ChildProcess
  url: string
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** `fileLimit`: run the server with that many open files at most (`prlimit --nofile`, Linux). */
/** Starts `pytrack serve` with `env` (and `options.args`); resolves once it listens (every worker, with `--workers`). */
export async function spawnServer(env: Record<string, string>, options: { fileLimit?: number; args?: readonly string[] } = {}): Promise<ChildServer> {
  const args = options.args ?? []
  const ready = args.includes('--workers') ? 'pytrack workers listening' : 'pytrack server listening'
  const command = [process.execPath, '--import', 'tsx', CLI, 'serve', ...args]
  if (options.fileLimit !== undefined) command.unshift('prlimit', `--nofile=${options.fileLimit}:${options.fileLimit}`, '--')
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: PACKAGE,
    env: { PATH: process.env.PATH ?? '', PYTRACK_PORT: '0', PYTRACK_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let stderr = ''
  child.stderr?.on('data', (data: Buffer) => {
    stderr += String(data)
  })
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    child.stdout?.on('data', (data: Buffer) => {
      buffer += String(data)
      let newline: number
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        try {
          const entry = JSON.parse(line) as Record<string, unknown>
          logs.push(entry)
          if (entry.msg === ready) resolve(entry.url as string)
        } catch {
          // not a log line
        }
      }
    })
    void exited.then(({ code }) => reject(new Error(`pytrack serve exited with ${String(code)} before listening: ${stderr}`)))
  })
  return { child, url, logs, exited }
}
