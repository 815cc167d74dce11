// html resolves its configuration by core's rule: the same mistakes give the same errors as in
// getClickTrackingUrl, whichever function of this package is called.
import { describe, expect, it } from 'vitest'
import { Configuration, ConfigurationError, InvalidArgumentError, getClickTrackingUrl } from '@pytrack/core'
import { thrownBy } from '../../../test-utils/errors'
import { adaptHtml, adaptText, compileHtml, compileText } from './index'

const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', baseOpenTrackingUrl: 'https://t.example.com/o/' })
const calls: [string, (options: object) => unknown][] = [
  ['adaptHtml', (options) => adaptHtml('<a href="https://e.com/">x</a>', null, options)],
  ['adaptText', (options) => adaptText('see https://e.com/', null, options)],
  ['compileHtml', (options) => compileHtml('<a href="https://e.com/">x</a>', options).render({ n: 1 })],
  ['compileText', (options) => compileText('see https://e.com/', options).render({ n: 1 })],
]

const thrown = (run: () => unknown): Error => thrownBy(run) as Error

describe.each(calls)('%s', (_name, call) => {
  it("gives core's ConfigurationError for a bad URL override, never repeating a webhook URL", () => {
    for (const options of [
      { configuration, baseClickTrackingUrl: 'ftp://t.example.com/c/' },
      { configuration, webhookUrl: 'hooks.example.com/s3cr3tT0ken' },
      { configuration, baseClickTrackingUrl: 'https://t.example.com/c/\n' },
    ]) {
      const error = thrown(() => call(options))
      const core = thrown(() => getClickTrackingUrl('https://e.com/', null, options))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error).toMatchObject({ setting: (core as ConfigurationError).setting, message: core.message })
      expect(error.message).not.toContain('s3cr3tT0ken')
    }
  })

  it("gives core's InvalidArgumentError for a configuration that is not one", () => {
    const options = { configuration: { baseClickTrackingUrl: 'https://t.example.com/c/' } }
    const error = thrown(() => call(options))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error.message).toBe(thrown(() => getClickTrackingUrl('https://e.com/', null, options as never)).message)
  })

  it('applies field overrides for the call only', () => {
    expect(JSON.stringify(call({ configuration, appendSlash: true }))).toMatch(/https:\/\/t\.example\.com\/c\/[^"\\]+\//)
    expect(configuration.appendSlash).toBe(false)
  })
})
