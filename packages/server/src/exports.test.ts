import { describe, expect, it } from 'vitest'

describe('@pytrack/server exports', () => {
  it('exports exactly its public API', async () => {
    expect(Object.keys(await import('./index')).sort()).toEqual([
      'ApiError',
      'SettingsError',
      'SqliteEventStore',
      'StoreError',
      'linkConfiguration',
      'loadSettings',
      'openSqliteEventStore',
      'startServer',
    ])
  })
})
