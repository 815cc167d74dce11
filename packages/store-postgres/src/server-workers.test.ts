// `pytrack serve --workers 2` on one PostgreSQL database: the server's workers scenario
// (packages/server/test/workers-scenario.ts) with PYTRACK_DATABASE_URL set.
import { describe, inject, it } from 'vitest'
import { createDatabase } from '#test-utils/postgres'
import { checkWorkersKeepEveryHit } from '../../server/test/workers-scenario'
import { tempDir } from '../../server/test/helpers'

describe('serve --workers on PostgreSQL', () => {
  it('spreads hits over two workers on one database, keeps every answered hit once through a worker killed -9, and drains all on SIGTERM', async () => {
    const database = await createDatabase(inject('postgresUrl'))
    const dir = tempDir()
    try {
      await checkWorkersKeepEveryHit({ PYTRACK_DATA_DIR: dir.path, PYTRACK_DATABASE_URL: database.url })
    } finally {
      dir.remove()
      await database.drop()
    }
  }, 120_000)
})
