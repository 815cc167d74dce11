import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Fernet } from '@pytrack/crypto'
import { SettingsError } from '../errors/settings-error'
import { settingSource, type ServerSettings } from '../settings'
import { makeDirectory } from './make-directory'

/** The keys links are sealed and opened with, and where they came from. */
export interface LoadedKeys {
  keys: string[]
  /** `settings`: PYTRACK_KEYS or the config; `file`: a key file; `created`: made on this start. */
  source: 'settings' | 'file' | 'created' | 'none'
  file: string | null
  /** Things the operator should hear about (loose file permissions). */
  warnings: string[]
}

function parseKeyFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

function readKeyFile(file: string, setting: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new SettingsError(`cannot read the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { setting, cause: error })
  }
  const keys = parseKeyFile(text)
  if (keys.length === 0) throw new SettingsError(`the key file ${file} holds no key; put one key a line (pytrack keygen makes one)`, { setting })
  return keys
}

function looseModeWarning(file: string): string[] {
  if (process.platform === 'win32') return []
  const mode = statSync(file).mode & 0o777
  return mode & 0o077 ? [`the key file ${file} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`] : []
}

/**
 * The link keys: from the settings, else from the key file, else from `<dataDir>/keys`,
 * created on the first start (folder 0700, file 0600) when `create` is true; otherwise a
 * missing key file is a settings error saying where it looked.
 */
export function loadKeys(settings: Pick<ServerSettings, 'codec' | 'keys' | 'keyFile' | 'dataDir'>, create = true): LoadedKeys {
  if (settings.codec === 'base64') return { keys: [], source: 'none', file: null, warnings: [] }
  if (settings.keys.length > 0) return { keys: settings.keys, source: 'settings', file: null, warnings: [] }
  if (settings.keyFile !== null) {
    return { keys: readKeyFile(settings.keyFile, 'PYTRACK_KEY_FILE'), source: 'file', file: settings.keyFile, warnings: looseModeWarning(settings.keyFile) }
  }
  const file = join(settings.dataDir, 'keys')
  if (existsSync(file)) {
    return { keys: readKeyFile(file, 'PYTRACK_DATA_DIR'), source: 'file', file, warnings: looseModeWarning(file) }
  }
  if (!create) {
    // Making a key here would make links the running server cannot open (or fail to read its links).
    throw new SettingsError(
      `no link key: looked for ${file} (in the data folder: --data-dir, PYTRACK_DATA_DIR, or else ./data of the folder pytrack runs in). ` +
        "Only pytrack serve creates the key, on its first start; point at the server's data folder with --data-dir DIR (or PYTRACK_DATA_DIR), " +
        'at its key file with --key-file FILE (or PYTRACK_KEY_FILE), or give the keys in PYTRACK_KEYS',
      { setting: settingSource(settings, 'dataDir') },
    )
  }
  try {
    makeDirectory(settings.dataDir)
    // A Fernet key (32 random bytes), also a fine signing secret.
    const key = Fernet.generateKey()
    // `wx`: if another process made the file meanwhile, use theirs rather than overwrite it.
    writeFileSync(file, `# pytrack link keys, one a line: the first seals new links, all open them.\n${key}\n`, { mode: 0o600, flag: 'wx' })
    return { keys: [key], source: 'created', file, warnings: [] }
  } catch (error) {
    // Only the key file itself existing means another process won; EEXIST from makeDirectory is a file in the way.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (error as NodeJS.ErrnoException).path === file) {
      return { keys: readKeyFile(file, 'PYTRACK_DATA_DIR'), source: 'file', file, warnings: [] }
    }
    throw new SettingsError(`cannot create the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the data folder is writable`, { setting: 'PYTRACK_DATA_DIR', cause: error })
  }
}
