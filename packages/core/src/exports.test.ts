import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('@pytrack/core public surface', () => {
  it('exports exactly these names', async () => {
    const names = Object.keys(await import('./index')).sort()
    expect(names).toEqual([
      'CONFIGURATION_FIELDS',
      'Configuration',
      'ConfigurationError',
      'DEFAULT_MAX_LINK_LENGTH',
      'DEFAULT_WEBHOOK_TIMEOUT_SECONDS',
      'DO_NOT_TRACK_KEY',
      'InvalidArgumentError',
      'InvalidDestinationError',
      'InvalidLinkError',
      'LinkTooLongError',
      'MetadataError',
      'PIXEL_MIME_TYPE',
      'PytrackError',
      'TrackingResult',
      'base64Codec',
      'describeValue',
      'getClickTrackingResult',
      'getClickTrackingUrl',
      'getClickTrackingUrlPath',
      'getKeyCodecFactory',
      'getOpenTrackingPixel',
      'getOpenTrackingResult',
      'getOpenTrackingUrl',
      'getOpenTrackingUrlPath',
      'isDoNotTrack',
      'isPytrackError',
      'parseClickDestination',
      'parseHttpOrigin',
      'parseHttpUrl',
      'registerKeyCodecFactory',
      'resolveConfiguration',
      'toPythonJson',
    ])
  })

  it('imports nothing from node: and has no runtime dependencies (it runs on Web-standard runtimes)', () => {
    const dir = new URL('.', import.meta.url)
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    )
    expect(files.length).toBeGreaterThan(5)
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8')
      expect(text, file).not.toMatch(/from ['"](node:|fs|path|crypto|buffer)/)
    }
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>
    expect(pkg.dependencies).toBeUndefined()
  })
})
