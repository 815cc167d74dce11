#!/usr/bin/env node
// `pnpm docs:check`: regenerates the API reference into a temporary folder and fails when it
// differs from the committed docs/api, so the reference never drifts from the TSDoc comments.
// TypeDoc warnings (a broken {@link}, a public type that is not exported) fail the check too.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const committed = join(root, 'docs', 'api')
const typedocPackage = createRequire(join(root, 'package.json')).resolve('typedoc/package.json')
const typedocBin = join(dirname(typedocPackage), JSON.parse(readFileSync(typedocPackage, 'utf8')).bin.typedoc)

/** Every file under `dir`, keyed by its path relative to `dir` with `/` separators. */
function listFiles(dir, prefix = '', files = new Map()) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    if (error.code === 'ENOENT' && prefix === '') return files
    throw error
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) listFiles(path, `${prefix}${entry.name}/`, files)
    else if (entry.isFile()) files.set(`${prefix}${entry.name}`, path)
  }
  return files
}

function check(scratch) {
  const fresh = join(scratch, 'api')
  try {
    execFileSync(process.execPath, [typedocBin, '--out', fresh, '--treatWarningsAsErrors', '--logLevel', 'Warn'], {
      cwd: root,
      stdio: 'inherit',
    })
  } catch {
    console.error('docs:check failed: typedoc reported the problems above; fix the TSDoc, then run pnpm run docs')
    return false
  }
  const expected = listFiles(fresh)
  const actual = listFiles(committed)
  const changed = []
  for (const [name, path] of expected) {
    const current = actual.get(name)
    if (current === undefined) changed.push(`missing  docs/api/${name}`)
    else if (!readFileSync(current).equals(readFileSync(path))) changed.push(`outdated docs/api/${name}`)
  }
  for (const name of actual.keys()) {
    if (!expected.has(name)) changed.push(`extra    docs/api/${name}`)
  }
  if (changed.length > 0) {
    changed.sort()
    const shown = changed.slice(0, 20)
    const more = changed.length > shown.length ? `\n  ... and ${changed.length - shown.length} more` : ''
    console.error(`docs/api is stale: run pnpm run docs\n  ${shown.join('\n  ')}${more}`)
    return false
  }
  console.log(`docs/api is up to date (${expected.size} files)`)
  return true
}

const scratch = mkdtempSync(join(tmpdir(), 'pytrack-docs-'))
try {
  if (!check(scratch)) process.exitCode = 1
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
