// `pytrack serve --workers 2` on SQLite, as a real process tree: the workers share the port and
// the WAL file (the scenario: test/workers-scenario.ts; the same on PostgreSQL in store-postgres).
import { describe, it } from 'vitest'
import { checkWorkersKeepEveryHit } from '../test/workers-scenario'
import { tempDir } from '../test/helpers'

describe('serve --workers on SQLite', () => {
  it('spreads hits over the workers, keeps every answered hit through a worker killed -9 under load, restarts it, and drains all on SIGTERM', async () => {
    const dir = tempDir()
    try {
      await checkWorkersKeepEveryHit({ PYTRACK_DATA_DIR: dir.path })
    } finally {
      dir.remove()
    }
  }, 120_000)
})
