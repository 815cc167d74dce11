#!/usr/bin/env node
// The `pytrack` command. All behaviour is in runCli; this file only wires the process.
import { runCli } from './_internal/cli-main'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

process.on('unhandledRejection', (reason) => {
  // Logged, not fatal: a stray rejection must not take the tracking server down.
  process.stderr.write(`pytrack: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`)
})

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  stdinIsTty: process.stdin.isTTY === true,
  onSignal: (handler) => {
    process.on('SIGTERM', handler)
    process.on('SIGINT', handler)
    return () => {
      process.off('SIGTERM', handler)
      process.off('SIGINT', handler)
    }
  },
})
// Let stdout drain (a piped `adapt` output can be large) before leaving.
process.exitCode = code
if (process.argv[2] === 'serve') process.exit(code)
