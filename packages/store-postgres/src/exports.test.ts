import { describe, expect, it } from 'vitest'

describe('@pytrack/store-postgres exports', () => {
  it('exports exactly its public API', async () => {
    expect(Object.keys(await import('./index')).sort()).toEqual(['PostgresEventStore', 'openPostgresEventStore'])
  })
})
