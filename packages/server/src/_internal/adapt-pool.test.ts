import { describe, expect, it } from 'vitest'
import { loadSettings } from '../settings'
import { tempDir } from '../../test/helpers'
import { createAdaptPool, MAX_QUEUED_ADAPTS } from './adapt-pool'

const quiet = { error: () => {} }

describe('the adapt worker', () => {
  it('answers jobs in order, counts what it holds, and answers library errors with their code', async () => {
    const dir = tempDir()
    const settings = loadSettings({ env: {}, overrides: { dataDir: dir.path, codec: 'base64', port: 0, logLevel: 'silent' } })
    const pool = createAdaptPool({ settings, keys: { keys: [], source: 'none', file: null, warnings: [] } }, quiet)
    try {
      const jobs = Array.from({ length: MAX_QUEUED_ADAPTS }, (_, i) => pool.run({ kind: 'text', body: { text: `see https://example.com/${i}` } }))
      expect(pool.queued).toBe(MAX_QUEUED_ADAPTS)
      const answers = (await Promise.all(jobs)).map((json) => JSON.parse(json) as { links: { url: string }[] })
      expect(answers.map((answer) => answer.links[0]?.url)).toEqual(jobs.map((_, i) => `https://example.com/${i}`))
      expect(pool.queued).toBe(0)
      await expect(pool.run({ kind: 'html', body: { html: '<a href="https://e.com/">x</a>', allowDomains: ['not a domain!'] } })).rejects.toMatchObject({
        name: 'AdaptJobError',
        code: 'ERR_PYTRACK_INVALID_ARGUMENT',
      })
    } finally {
      await pool.close()
      dir.remove()
    }
  })

  it('fails the jobs it holds when closed, and starts again on the next one', async () => {
    const dir = tempDir()
    const settings = loadSettings({ env: {}, overrides: { dataDir: dir.path, codec: 'base64', port: 0, logLevel: 'silent' } })
    const pool = createAdaptPool({ settings, keys: { keys: [], source: 'none', file: null, warnings: [] } }, quiet)
    try {
      const held = pool.run({ kind: 'text', body: { text: 'https://example.com/a' } })
      await pool.close()
      await expect(held).rejects.toMatchObject({ name: 'AdaptJobError', code: null })
      expect(JSON.parse(await pool.run({ kind: 'text', body: { text: 'https://example.com/b' } }))).toMatchObject({ links: [{ url: 'https://example.com/b' }] })
    } finally {
      await pool.close()
      dir.remove()
    }
  })
})
