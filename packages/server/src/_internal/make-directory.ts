import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

const OWNER_ONLY = 0o700

/**
 * `mkdir -p` with an owner-only mode (0700) on every folder it creates. Node 20's
 * `mkdirSync(..., { recursive: true })` never returns for some paths (under /proc, for one),
 * so this walks up to the nearest existing folder and creates the rest one at a time; a bad
 * path then fails with the system's error code (ENOENT, EACCES, EEXIST for a file in the way)
 * instead of hanging.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = []
  // dirname on the path as given (not path.resolve, which would fold `link/..` as text while
  // the system follows the link first).
  for (let current = dir || '.'; !isDirectory(current); current = dirname(current)) {
    missing.push(current)
    if (dirname(current) === current) break
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path, { mode: OWNER_ONLY })
    } catch (error) {
      // Another process may have made it meanwhile; anything else (a file in the way) is an error.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(path)) throw error
      continue
    }
    chmodSync(path, OWNER_ONLY) // mkdir's mode is filtered by the umask
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
