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

  it('exports the store kit from @pytrack/server/store-kit', async () => {
    expect(Object.keys(await import('./store-kit')).sort()).toEqual(['HOUR_MS', 'INTERVAL_MS', 'outboxItemOf', 'pageOf', 'statsCountsOf', 'stepRange', 'timeseriesOf', 'trackingEventOf'])
  })
})
