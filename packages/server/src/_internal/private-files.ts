import { closeSync, existsSync, openSync, statSync } from 'node:fs'
import { makeDirectory } from './make-directory'

const OWNER_ONLY_FILE = 0o600

function looseMode(path: string): number | null {
  if (process.platform === 'win32' || !existsSync(path)) return null
  const mode = statSync(path).mode & 0o777
  return mode & 0o077 ? mode : null
}

/**
 * Makes the data folder (0700 when created) and the SQLite database file (0600 when created,
 * before SQLite opens it: SQLite gives its `-wal` and `-shm` files the database file's mode).
 * Returns warnings for a folder or database files that other users can read: they hold client
 * addresses, User-Agents, metadata and full webhook URLs.
 */
export function prepareDatabaseFiles(dataDir: string, file: string): string[] {
  makeDirectory(dataDir)
  // `a`: create when missing, never truncate; the mode applies only to a new file.
  closeSync(openSync(file, 'a', OWNER_ONLY_FILE))
  const warnings: string[] = []
  const folderMode = looseMode(dataDir)
  if (folderMode !== null) {
    warnings.push(`the data folder ${dataDir} can be read by other users (mode ${folderMode.toString(8)}); it holds the database and the link key: run chmod 700 ${dataDir}`)
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    const mode = looseMode(path)
    if (mode !== null) warnings.push(`the database file ${path} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${path}`)
  }
  return warnings
}
