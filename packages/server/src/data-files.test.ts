import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Configuration, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { spawnServer } from '../test/child-server'
import { BROWSER, tempDir } from '../test/helpers'

const KEY = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
const temp = tempDir('pytrack-data-files-')
afterAll(() => temp.remove())

const modeOf = (path: string): number => statSync(path).mode & 0o777

describe.skipIf(process.platform === 'win32')('the data folder and the database files', () => {
  it('creates the database, its -wal and -shm owner-only (0600), and warns about a data folder others can read', async () => {
    const data = join(temp.path, 'open-folder')
    mkdirSync(data)
    chmodSync(data, 0o755)
    const server = await spawnServer({ PYTRACK_DATA_DIR: data, PYTRACK_KEYS: KEY })
    try {
      const configuration = new Configuration({ baseOpenTrackingUrl: `${server.url}/open/`, codec: fernetCodec(KEY) })
      // A recorded hit, so SQLite has written its -wal and -shm files.
      expect((await fetch(getOpenTrackingUrl({ message_id: 'm-1' }, { configuration }), { headers: BROWSER })).status).toBe(200)
      for (const file of ['pytrack.db', 'pytrack.db-wal', 'pytrack.db-shm']) expect([file, modeOf(join(data, file))]).toEqual([file, 0o600])
      const warnings = server.logs.filter((entry) => entry.level === 40).map((entry) => String(entry.msg))
      expect(warnings).toContain(`the data folder ${data} can be read by other users (mode 755); it holds the database and the link key: run chmod 700 ${data}`)
    } finally {
      server.child.kill('SIGTERM')
      expect((await server.exited).code).toBe(0)
    }
  })

  it('warns about a database file made readable by others before, and starts quietly in a private folder', async () => {
    const data = join(temp.path, 'old-database')
    mkdirSync(data, { mode: 0o700 })
    chmodSync(data, 0o700)
    writeFileSync(join(data, 'pytrack.db'), '')
    chmodSync(join(data, 'pytrack.db'), 0o644)
    const loose = await spawnServer({ PYTRACK_DATA_DIR: data, PYTRACK_KEYS: KEY })
    loose.child.kill('SIGTERM')
    await loose.exited
    const warnings = loose.logs.filter((entry) => entry.level === 40).map((entry) => String(entry.msg))
    expect(warnings).toEqual([`the database file ${join(data, 'pytrack.db')} can be read by other users (mode 644); run chmod 600 ${join(data, 'pytrack.db')}`])

    chmodSync(join(data, 'pytrack.db'), 0o600)
    const quiet = await spawnServer({ PYTRACK_DATA_DIR: data, PYTRACK_KEYS: KEY })
    quiet.child.kill('SIGTERM')
    await quiet.exited
    expect(quiet.logs.filter((entry) => entry.level === 40)).toEqual([])
  })
})
