import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SettingsError } from '../errors/settings-error'
import type { ServerSettings } from '../settings'
import type { EventStore } from '../store/event-store'

/** What the server uses of @pytrack/store-postgres (loaded only when a database URL is set). */
interface PostgresStore extends EventStore {
  recordSealingKey(fingerprint: string, accepted: readonly string[]): Promise<{ previous: string | null; accepted: boolean }>
}
interface PostgresModule {
  openPostgresEventStore(options: { url: string }): Promise<PostgresStore>
}

// A variable, so bundlers leave the import alone: the package is optional.
const POSTGRES_PACKAGE = '@pytrack/store-postgres'

async function loadPostgres(cwd: string): Promise<PostgresModule> {
  try {
    return (await import(POSTGRES_PACKAGE)) as PostgresModule
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
  }
  // Installed beside the server in the user's project (pnpm keeps it out of the server's own reach).
  try {
    const path = createRequire(join(cwd, 'package.json')).resolve(POSTGRES_PACKAGE)
    return (await import(pathToFileURL(path).href)) as PostgresModule
  } catch (error) {
    throw new SettingsError(
      'PYTRACK_DATABASE_URL is set, but @pytrack/store-postgres is not installed: npm install @pytrack/store-postgres',
      { setting: 'PYTRACK_DATABASE_URL', cause: error },
    )
  }
}

/** A fingerprint of a link key: names it across instances without revealing it. */
export function keyFingerprint(codec: string, key: string | undefined): string {
  return createHash('sha256').update(`pytrack sealing key\0${codec}\0${key ?? ''}`).digest('base64url').slice(0, 22)
}

/**
 * The PostgreSQL store of `url`, after checking that this instance seals links with the key the
 * other instances on the database seal with (`rotated`: this one brings a newer key).
 */
export async function openPostgresStore(
  url: string,
  settings: Pick<ServerSettings, 'codec'>,
  keys: readonly string[],
): Promise<{ store: EventStore; rotated: boolean }> {
  const postgres = await loadPostgres(process.cwd())
  const store = await postgres.openPostgresEventStore({ url })
  try {
    const fingerprint = keyFingerprint(settings.codec, keys[0])
    // The others' key is accepted when it is among ours: we opened their links, and we are the
    // newer side of a key rotation (a new first key, the old one kept second).
    const accepted = keys.map((key) => keyFingerprint(settings.codec, key))
    const check = await store.recordSealingKey(fingerprint, accepted.length === 0 ? [fingerprint] : accepted)
    if (!check.accepted) {
      throw new SettingsError(
        'the other instances on this database seal links with another key (or codec): give every instance the same PYTRACK_KEYS and PYTRACK_CODEC, or the same key file, so each opens the links the others make',
        { setting: 'PYTRACK_KEYS' },
      )
    }
    return { store, rotated: check.previous !== null && check.previous !== fingerprint }
  } catch (error) {
    await store.close()
    throw error
  }
}
