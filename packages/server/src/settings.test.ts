import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { isPytrackError, parseHttpUrl } from '@pytrack/core'
import { thrownBy } from '../../../test-utils/errors'
import { tempDir } from '../test/helpers'
import { isLoopbackHost, loadSettings, readSettings, settingFlags, settingRows } from './settings'
import { replaceSettingsTable, settingsTable } from './_internal/settings-docs'

const temp = tempDir('pytrack-settings-')
const dir = temp.path
afterAll(() => temp.remove())

function settingsError(run: () => unknown): { setting: string; message: string } {
  const error = thrownBy(run)
  expect(isPytrackError(error, 'ERR_PYTRACK_SETTINGS')).toBe(true)
  return error as { setting: string; message: string }
}

describe('loadSettings', () => {
  it('has first-run defaults', () => {
    const settings = loadSettings({ env: {}, cwd: dir })
    expect(settings).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      dataDir: join(dir, 'data'),
      apiToken: null,
      codec: 'fernet',
      keys: [],
      baseOpenTrackingUrl: 'http://localhost:8080/open/',
      baseClickTrackingUrl: 'http://localhost:8080/click/',
      webhookUrls: [],
      emailKey: 'message_id',
      synchronous: 'normal',
      logLevel: 'info',
    })
  })

  it('reads PYTRACK_ variables, then flags over them', () => {
    const settings = loadSettings({
      cwd: dir,
      env: {
        PYTRACK_HOST: '0.0.0.0',
        PYTRACK_PORT: '9000',
        PYTRACK_PUBLIC_URL: 'https://t.example.com/',
        PYTRACK_API_TOKEN: 'x'.repeat(32),
        PYTRACK_KEYS: 'k1, k2',
        PYTRACK_CODEC: 'signed',
        PYTRACK_WEBHOOK_URL: 'https://a.example/h,https://b.example/h',
        PYTRACK_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1',
        PYTRACK_REDIRECT_ALLOW: 'example.com',
        PYTRACK_SYNCHRONOUS: 'FULL',
      },
      argv: ['--port', '9001', '--data-dir', '/var/lib/pytrack'],
    })
    expect(settings).toMatchObject({
      host: '0.0.0.0',
      port: 9001,
      publicUrl: 'https://t.example.com',
      dataDir: '/var/lib/pytrack',
      keys: ['k1', 'k2'],
      codec: 'signed',
      webhookUrls: ['https://a.example/h', 'https://b.example/h'],
      trustedProxies: ['10.0.0.0/8', '127.0.0.1'],
      redirectAllow: ['example.com'],
      baseClickTrackingUrl: 'https://t.example.com/click/',
      synchronous: 'full',
    })
  })

  it('accepts a pytracking settings file as it is', () => {
    const file = join(dir, 'pytracking.json')
    writeFileSync(
      file,
      JSON.stringify({
        base_open_tracking_url: 'https://t.example.com/o/',
        base_click_tracking_url: 'https://t.example.com/c/',
        webhook_url: 'https://hooks.example.com/t',
        encryption_bytestring_key: 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM=',
        default_metadata: { app: 'news' },
        append_slash: true,
      }),
    )
    const settings = loadSettings({ env: {}, argv: ['--config', file], cwd: dir })
    expect(settings).toMatchObject({
      codec: 'fernet',
      keys: ['XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='],
      baseOpenTrackingUrl: 'https://t.example.com/o/',
      baseClickTrackingUrl: 'https://t.example.com/c/',
      webhookUrls: ['https://hooks.example.com/t'],
      defaultMetadata: { app: 'news' },
      appendSlash: true,
    })
    // From the environment too; a new key in PYTRACK_KEYS seals, pytracking's keeps opening old links.
    const env = loadSettings({
      env: { PYTRACKING_CONFIGURATION: JSON.stringify({ encryption_bytestring_key: 'old' }), PYTRACK_KEYS: 'new' },
      cwd: dir,
    })
    expect(env.keys).toEqual(['new', 'old'])
    // No key: pytracking's plain base64 links.
    expect(loadSettings({ env: { PYTRACKING_CONFIGURATION: '{"webhook_url": null}' }, cwd: dir }).codec).toBe('base64')
  })

  it('reads a config file of server settings, refusing unknown ones', () => {
    const file = join(dir, 'server.json')
    writeFileSync(file, JSON.stringify({ port: 7000, webhookUrl: 'https://h.example/', pytracking: { append_slash: true } }))
    expect(loadSettings({ env: { PYTRACK_CONFIG: file }, cwd: dir })).toMatchObject({ port: 7000, webhookUrls: ['https://h.example/'], appendSlash: true })
    writeFileSync(file, JSON.stringify({ prot: 7000 }))
    expect(settingsError(() => loadSettings({ env: { PYTRACK_CONFIG: file }, cwd: dir })).message).toMatch(/unknown setting "prot"/)
    writeFileSync(file, '{ nope')
    expect(settingsError(() => loadSettings({ env: { PYTRACK_CONFIG: file }, cwd: dir })).message).toMatch(/not valid JSON/)
    expect(settingsError(() => loadSettings({ env: { PYTRACK_CONFIG: join(dir, 'missing.json') }, cwd: dir })).message).toMatch(/ENOENT/)
  })

  it('fails fast, naming the setting, on bad values', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ PYTRACK_PORT: 'eighty' }, 'PYTRACK_PORT', /whole number/],
      [{ PYTRACK_PORT: '70000' }, 'PYTRACK_PORT', /0 to 65535/],
      [{ PYTRACK_PUBLIC_URL: 'localhost:8080' }, 'PYTRACK_PUBLIC_URL', /http/],
      [{ PYTRACK_PUBLIC_URL: 'ftp://x.example' }, 'PYTRACK_PUBLIC_URL', /http or https/],
      [{ PYTRACK_CODEC: 'rot13' }, 'PYTRACK_CODEC', /fernet, signed or base64/],
      [{ PYTRACK_API_TOKEN: 'short' }, 'PYTRACK_API_TOKEN', /at least 16/],
      [{ PYTRACK_HOST: '0.0.0.0' }, 'PYTRACK_API_TOKEN', /required when listening on 0.0.0.0/],
      [{ PYTRACK_LOG_LEVEL: 'loud' }, 'PYTRACK_LOG_LEVEL', /one of/],
      [{ PYTRACK_WEBHOOK_URL: 'nope' }, 'PYTRACK_WEBHOOK_URL', /http/],
      [{ PYTRACK_SYNCHRONOUS: 'off' }, 'PYTRACK_SYNCHRONOUS', /normal or full/],
      [{ PYTRACKING_CONFIGURATION: '{' }, 'PYTRACKING_CONFIGURATION', /not valid JSON/],
      [{ PYTRACK_EMAIL_KEY: 'a b' }, 'PYTRACK_EMAIL_KEY', /metadata key/],
    ]
    for (const [env, setting, message] of cases) {
      const error = settingsError(() => loadSettings({ env, cwd: dir }))
      expect(error.setting).toBe(setting)
      expect(error.message).toMatch(message)
      expect(error.message).toContain(setting)
    }
    expect(settingsError(() => loadSettings({ env: {}, argv: ['--prot', '1'], cwd: dir })).message).toMatch(/--help/)
    // A token never appears in messages.
    const secret = 'tiny-secret'
    expect(settingsError(() => loadSettings({ env: { PYTRACK_API_TOKEN: secret }, cwd: dir })).message).not.toContain(secret)
    // Nor does a webhook URL, whose path is often its secret.
    for (const url of ['hooks.example.com/services/T0/B0/s3cretT0ken', 'ftp://hooks.example.com/s3cretT0ken']) {
      const error = settingsError(() => loadSettings({ env: { PYTRACK_WEBHOOK_URL: url }, cwd: dir }))
      expect(error.setting).toBe('PYTRACK_WEBHOOK_URL')
      expect(error.message).not.toContain('s3cretT0ken')
    }
  })

  it("checks URLs by core's rule (parseHttpUrl), said as a SettingsError naming the variable, flag or key", () => {
    const cases: [Record<string, string>, string[], string, string, boolean][] = [
      [{ PYTRACK_PUBLIC_URL: 'ftp://t.example.com' }, [], 'PYTRACK_PUBLIC_URL', 'ftp://t.example.com', false],
      [{}, ['--public-url', 'https://t.example.com/a\tb'], '--public-url', 'https://t.example.com/a\tb', false],
      [{ PYTRACK_CLICK_URL: 'https://t.example.com/cl ick/' }, [], 'PYTRACK_CLICK_URL', 'https://t.example.com/cl ick/', false],
      [{ PYTRACK_WEBHOOK_URL: 'https://hooks.example.com/s3cretT0ken x' }, [], 'PYTRACK_WEBHOOK_URL', 'https://hooks.example.com/s3cretT0ken x', true],
    ]
    for (const [env, argv, setting, url, secret] of cases) {
      const error = settingsError(() => loadSettings({ env, argv, cwd: dir }))
      expect(error.setting).toBe(setting)
      // The very message core gives, in the name the user wrote.
      expect(() => parseHttpUrl(url, setting, { example: 'https://track.example.com', secret })).toThrow(error.message)
      if (secret) expect(error.message).not.toContain('s3cretT0ken')
    }
    // The ends are trimmed first, as every text setting is (a line break from a file).
    expect(loadSettings({ env: { PYTRACK_PUBLIC_URL: ' https://t.example.com/\n' }, cwd: dir }).publicUrl).toBe('https://t.example.com')
  })

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host)).toBe(false)
  })

  it('names the source the user wrote: the flag, the config-file key, the pytracking key', () => {
    const file = join(dir, 'named.json')
    writeFileSync(file, JSON.stringify({ port: 'eighty' }))
    const fromFile = settingsError(() => loadSettings({ env: {}, argv: ['-c', file], cwd: dir }))
    expect(fromFile.setting).toBe(`port (in ${file})`)
    expect(settingsError(() => loadSettings({ env: {}, argv: ['--port', 'x'], cwd: dir })).setting).toBe('--port')
    const pytracking = settingsError(() => loadSettings({ env: { PYTRACKING_CONFIGURATION: '{"base_click_tracking_url": "nope"}' }, cwd: dir }))
    expect(pytracking.message).toMatch(/^base_click_tracking_url \(in PYTRACKING_CONFIGURATION\) must be an absolute http\(s\) URL/)
    // Flags are parsed in the CLI's words, not parseArgs': what is missing, and what the command takes.
    expect(settingsError(() => loadSettings({ env: {}, argv: ['--port'], cwd: dir })).message).toBe('--port needs a value, as in: --port PORT; see pytrack serve --help')
    expect(settingsError(() => loadSettings({ env: {}, argv: ['--port', '--host', 'h'], cwd: dir })).message).toMatch(/^--port needs a value, as in: --port PORT; "--host" is taken for another option/)
    expect(settingsError(() => loadSettings({ env: {}, argv: ['--prot', '1'], cwd: dir })).message).toMatch(/^unknown option --prot for pytrack serve; it takes --config \(-c\), --host, --port \(-p\), /)
    expect(settingsError(() => loadSettings({ env: {}, argv: ['stray'], cwd: dir })).message).toMatch(/takes no arguments; got "stray"/)
  })

  it('refuses an API token no client can send (white space inside), and trims the ends', () => {
    const spaced = settingsError(() => loadSettings({ env: { PYTRACK_API_TOKEN: 'correct horse battery staple' }, cwd: dir }))
    expect(spaced.setting).toBe('PYTRACK_API_TOKEN')
    expect(spaced.message).toMatch(/one word of visible ASCII characters \(no spaces/)
    expect(spaced.message).not.toContain('horse')
    expect(settingsError(() => loadSettings({ env: { PYTRACK_API_TOKEN: `${'a'.repeat(16)}\u00e9` }, cwd: dir })).setting).toBe('PYTRACK_API_TOKEN')
    expect(loadSettings({ env: { PYTRACK_API_TOKEN: `${'a'.repeat(20)}\n` }, cwd: dir }).apiToken).toBe('a'.repeat(20))
  })

  it('takes every flag of the table: serve all of them, the link commands those marked for links', () => {
    const rows = settingRows().filter((row) => row.flag !== null)
    expect(Object.keys(settingFlags('serve')).sort()).toEqual(rows.map((row) => row.flag?.name).sort())
    expect(Object.keys(settingFlags('link')).sort()).toEqual(['codec', 'config', 'data-dir', 'key-file', 'port', 'public-url'])
    const settings = loadSettings({ env: {}, cwd: dir, argv: ['--codec', 'signed', '--key-file', 'k', '--log-level', 'warn', '-p', '9001'] })
    expect(settings).toMatchObject({ codec: 'signed', keyFile: join(dir, 'k'), logLevel: 'warn', port: 9001, publicUrl: 'http://localhost:9001' })
    // The CLI passes its parsed flags straight in: no second parse.
    expect(readSettings({ env: {}, cwd: dir, flags: { port: '9002', 'public-url': undefined } }).baseClickTrackingUrl).toBe('http://localhost:9002/click/')
  })

  it("the README's settings table is the one the declarations make", () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
    expect(readme).toContain(settingsTable())
    // The markers are there, so `pnpm --filter @pytrack/server docs:settings` can rewrite it.
    expect(replaceSettingsTable(readme)).toBe(readme)
    // A row per setting and source, each with its variable or config key.
    expect(settingsTable().split('\n')).toHaveLength(2 + settingRows().length)
  })
})
