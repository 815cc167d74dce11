import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Metadata, PytrackingSettings } from '@pytrack/core'
import { SettingsError } from './errors/settings-error'

/**
 * How tracking links are sealed: Fernet (default, encrypted), signed (readable, tamper-proof) or pytracking's plain base64.
 *
 * @example
 * ```ts
 * loadSettings({ overrides: { codec: 'signed' satisfies CodecName } })
 * ```
 */
export type CodecName = 'fernet' | 'signed' | 'base64'

/**
 * pino's log levels.
 *
 * @example
 * ```ts
 * loadSettings({ overrides: { logLevel: 'warn' satisfies LogLevel } })
 * ```
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * Everything the server needs, checked. Built by {@link loadSettings}.
 *
 * @example
 * ```ts
 * const settings: ServerSettings = loadSettings()
 * settings.publicUrl // 'http://localhost:8080'
 * ```
 */
export interface ServerSettings {
  /** The interface to listen on. Default `127.0.0.1`. */
  host: string
  /** The port to listen on; 0 picks a free one. Default 8080. */
  port: number
  /** The URL the world reaches this server at, without a trailing slash. Default `http://localhost:<port>`. */
  publicUrl: string
  /** Where the database and the generated key live. Default `./data` (absolute once loaded). */
  dataDir: string
  /** The bearer token of the HTTP API; null leaves the API open, allowed only on a loopback host. */
  apiToken: string | null
  /** How links are sealed. Default `fernet`; `base64` for pytracking settings without a key. */
  codec: CodecName
  /** Link keys, the first sealing and all opening. Empty: read or create `<dataDir>/keys`. */
  keys: string[]
  /** A file of keys, one a line (`#` comments). Null: `<dataDir>/keys`. */
  keyFile: string | null
  /** The longest age of a link the server still accepts, in seconds (Fernet and signed); null: no limit. */
  maxLinkAgeSeconds: number | null
  /** Where open and click links point: default `<publicUrl>/open/` and `<publicUrl>/click/`. */
  baseOpenTrackingUrl: string
  /** See `baseOpenTrackingUrl`. Default `<publicUrl>/click/`. */
  baseClickTrackingUrl: string
  /** Metadata every event carries (pytracking's `default_metadata`). */
  defaultMetadata: Metadata | null
  /** Seal `defaultMetadata` into each link instead of adding it when decoding. Default false. */
  includeDefaultMetadata: boolean
  /** End every link with `/` (pytracking's `append_slash`, for Django routes). Default false. */
  appendSlash: boolean
  /** Webhooks every event is forwarded to. */
  webhookUrls: string[]
  /** The Standard Webhooks signing secret (`whsec_...`); null sends unsigned deliveries. */
  webhookSecret: string | null
  /** How long one webhook request may take, in seconds. Default 5. */
  webhookTimeoutSeconds: number
  /** Delivery attempts (each with @pytrack/webhook's own quick retries) before a delivery is marked failed. Default 12 (about 3 hours of backoff). */
  webhookMaxAttempts: number
  /** The first pause between delivery attempts, doubled each time up to an hour. Default 10 000 ms. */
  webhookRetryBaseMs: number
  /** The pino log level. Default `info`. */
  logLevel: LogLevel
  /** Proxies whose `X-Forwarded-For`/`Forwarded` headers are believed (IPs or CIDRs). */
  trustedProxies: string[]
  /** Where base64 (forgeable) click links may redirect: origins or host names. */
  redirectAllow: string[]
  /** The metadata key naming an email, for unique counts. Default `message_id`. */
  emailKey: string
  /** SQLite durability: `normal` survives a killed process, `full` also power loss. Default `normal`. */
  synchronous: 'normal' | 'full'
  /** How long shutdown waits for in-flight requests and deliveries, in ms. Default 10 000. */
  shutdownTimeoutMs: number
}

/**
 * What {@link loadSettings} reads.
 *
 * @example
 * ```ts
 * const options: LoadSettingsOptions = { env: process.env, argv: ['--port', '9000'], overrides: { logLevel: 'silent' } }
 * ```
 */
export interface LoadSettingsOptions {
  /** Environment variables. Default `process.env`. */
  env?: Record<string, string | undefined> | undefined
  /** Command-line flags of `pytrack serve` (`--config`, `--host`, `--port`, `--public-url`, `--data-dir`, `--log-level`). */
  argv?: readonly string[] | undefined
  /** Settings that win over every other source (for programmatic use and tests). */
  overrides?: Partial<ServerSettings> | undefined
  /** Relative paths resolve from here. Default `process.cwd()`. */
  cwd?: string | undefined
  /**
   * Check what only serving needs (the API token outside localhost). Default true; the CLI's
   * `encode`, `decode` and `adapt` pass false, since they only make and read links.
   */
  serving?: boolean | undefined
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  publicUrl: 'http://localhost:8080',
  dataDir: './data',
}

/** The flags `pytrack serve` takes, for node:util parseArgs. */
const SERVE_FLAGS = {
  config: { type: 'string', short: 'c' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'public-url': { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
} as const

// Environment variable -> setting. Lists are comma-separated.
const ENV: Record<string, keyof ServerSettings> = {
  PYTRACK_HOST: 'host',
  PYTRACK_PORT: 'port',
  PYTRACK_PUBLIC_URL: 'publicUrl',
  PYTRACK_DATA_DIR: 'dataDir',
  PYTRACK_API_TOKEN: 'apiToken',
  PYTRACK_CODEC: 'codec',
  PYTRACK_KEYS: 'keys',
  PYTRACK_KEY_FILE: 'keyFile',
  PYTRACK_MAX_LINK_AGE: 'maxLinkAgeSeconds',
  PYTRACK_OPEN_URL: 'baseOpenTrackingUrl',
  PYTRACK_CLICK_URL: 'baseClickTrackingUrl',
  PYTRACK_WEBHOOK_URL: 'webhookUrls',
  PYTRACK_WEBHOOK_SECRET: 'webhookSecret',
  PYTRACK_WEBHOOK_TIMEOUT: 'webhookTimeoutSeconds',
  PYTRACK_WEBHOOK_MAX_ATTEMPTS: 'webhookMaxAttempts',
  PYTRACK_WEBHOOK_RETRY_BASE_MS: 'webhookRetryBaseMs',
  PYTRACK_LOG_LEVEL: 'logLevel',
  PYTRACK_TRUSTED_PROXIES: 'trustedProxies',
  PYTRACK_REDIRECT_ALLOW: 'redirectAllow',
  PYTRACK_EMAIL_KEY: 'emailKey',
  PYTRACK_SYNCHRONOUS: 'synchronous',
  PYTRACK_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
}

const SETTING_NAMES = new Set<string>([...Object.values(ENV), 'webhookUrl'])

const PYTRACKING_KEYS = new Set([
  'webhook_url',
  'webhook_timeout_seconds',
  'include_webhook_url',
  'base_open_tracking_url',
  'base_click_tracking_url',
  'default_metadata',
  'include_default_metadata',
  'encryption_bytestring_key',
  'encoding',
  'append_slash',
])

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

type Raw = Partial<Record<keyof ServerSettings, unknown>>

function fail(setting: string, message: string, cause?: unknown): never {
  throw new SettingsError(setting, message, cause === undefined ? undefined : { cause })
}

function readJsonFile(path: string, setting: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    fail(setting, `cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the path`, error)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    fail(setting, `the config file ${path} is not valid JSON: ${(error as Error).message}`, error)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Maps pytracking's snake_case dict onto server settings, unchanged in meaning. */
function fromPytracking(settings: unknown, where: string): Raw {
  if (!isObject(settings)) fail(where, `${where} must be a JSON object of pytracking settings`)
  const p = settings as PytrackingSettings
  const raw: Raw = {}
  if (p.encoding !== undefined && p.encoding !== null && !/^utf-?8$/i.test(String(p.encoding))) {
    fail(where, `${where}: encoding "${String(p.encoding)}" is not supported; pytrack links are UTF-8`)
  }
  if (p.webhook_url) raw.webhookUrls = [p.webhook_url]
  if (p.webhook_timeout_seconds !== undefined && p.webhook_timeout_seconds !== null) raw.webhookTimeoutSeconds = p.webhook_timeout_seconds
  if (p.base_open_tracking_url) raw.baseOpenTrackingUrl = p.base_open_tracking_url
  if (p.base_click_tracking_url) raw.baseClickTrackingUrl = p.base_click_tracking_url
  if (p.default_metadata !== undefined && p.default_metadata !== null) raw.defaultMetadata = p.default_metadata
  if (p.include_default_metadata !== undefined && p.include_default_metadata !== null) raw.includeDefaultMetadata = p.include_default_metadata
  if (p.append_slash !== undefined && p.append_slash !== null) raw.appendSlash = p.append_slash
  const key = p.encryption_bytestring_key
  if (key !== undefined && key !== null && key !== '') {
    raw.codec = 'fernet'
    raw.keys = [key]
  } else {
    // Links pytracking made without a key are plain base64: keep reading them as they are.
    raw.codec = 'base64'
  }
  return raw
}

function fromConfigObject(config: unknown, path: string): Raw {
  if (!isObject(config)) fail('config', `the config file ${path} must hold a JSON object`)
  const keys = Object.keys(config)
  const pytrackingOnly = keys.length > 0 && keys.some((k) => PYTRACKING_KEYS.has(k)) && !keys.some((k) => SETTING_NAMES.has(k) || k === 'pytracking')
  // A pytracking settings file (PYTRACKING_CONFIGURATION as JSON) is accepted as it is.
  if (pytrackingOnly) return fromPytracking(config, `the pytracking settings in ${path}`)
  let raw: Raw = {}
  for (const key of keys) {
    if (key === 'pytracking') {
      raw = { ...fromPytracking(config[key], `"pytracking" in ${path}`), ...raw }
    } else if (key === 'webhookUrl') {
      raw.webhookUrls = config[key]
    } else if (SETTING_NAMES.has(key)) {
      raw[key as keyof ServerSettings] = config[key]
    } else {
      fail(key, `the config file ${path} has an unknown setting "${key}"; the settings are: ${[...SETTING_NAMES].sort().join(', ')}, pytracking`)
    }
  }
  return raw
}

function fromEnv(env: Record<string, string | undefined>): Raw {
  const raw: Raw = {}
  const pytracking = env.PYTRACKING_CONFIGURATION
  if (pytracking !== undefined && pytracking.trim() !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(pytracking)
    } catch (error) {
      fail('PYTRACKING_CONFIGURATION', `PYTRACKING_CONFIGURATION is not valid JSON: ${(error as Error).message}`, error)
    }
    Object.assign(raw, fromPytracking(parsed, 'PYTRACKING_CONFIGURATION'))
  }
  for (const [name, setting] of Object.entries(ENV)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    if (setting === 'keys' && Array.isArray(raw.keys)) {
      // Keys named in PYTRACK_KEYS seal; pytracking's key keeps opening the links already sent.
      const named = value.split(',')
      const trimmed = named.map((k) => k.trim())
      raw.keys = [...named, ...(raw.keys as string[]).filter((key) => !trimmed.includes(key))]
      continue
    }
    raw[setting] = value
  }
  return raw
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(name, `${name} must be a string, not ${value === null ? 'null' : typeof value}`)
  return value.trim()
}

function list(name: string, value: unknown): string[] {
  if (value === undefined || value === null) return []
  const items = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    fail(name, `${name} must be a comma-separated string or a list of strings`)
  }
  return (items as string[]).map((item) => item.trim()).filter((item) => item !== '')
}

function integer(name: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    fail(name, `${name} must be a whole number from ${min} to ${max}; got "${String(value)}"`)
  }
  return number
}

function positive(name: string, value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
    fail(name, `${name} must be a number above 0; got "${String(value)}"`)
  }
  return number
}

function bool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  fail(name, `${name} must be true or false; got ${typeof value === 'string' ? `"${value}"` : typeof value}`)
}

// `secret`: the URL may carry a token (webhook URLs often do), so the message does not repeat it.
function httpUrl(name: string, value: unknown, secret = false): URL {
  const string = text(name, value)
  const got = secret ? '' : `; got "${string}"`
  let url: URL
  try {
    url = new URL(string)
  } catch (error) {
    fail(name, `${name} must be an absolute http(s) URL such as https://track.example.com${got}`, error)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(name, `${name} must be an http or https URL${secret ? `; got the scheme "${url.protocol}"` : got}`)
  }
  return url
}

function baseUrl(name: string, value: unknown): string {
  const url = httpUrl(name, value)
  if (url.search !== '' || url.hash !== '') fail(name, `${name} must not have a query or fragment; got "${String(value)}"`)
  return url.href.endsWith('/') ? url.href : `${url.href}/`
}

/** True for 127.0.0.0/8, ::1 and `localhost`: hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost' || bare === '::1') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (bare.startsWith('::ffff:')) return bare.slice(7).startsWith('127.')
  return false
}

/**
 * Reads and checks the server settings: defaults, then the config file (`--config` or
 * `PYTRACK_CONFIG`), then `PYTRACKING_CONFIGURATION` and `PYTRACK_*` environment variables,
 * then command-line flags, then `overrides`. Throws {@link SettingsError} naming the bad setting.
 *
 * @example
 * ```ts
 * const settings = loadSettings({ env: process.env, argv: ['--port', '9000'] })
 * settings.port // 9000
 * ```
 */
export function loadSettings(options: LoadSettingsOptions = {}): ServerSettings {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  let flags: Record<string, string | boolean | undefined>
  try {
    flags = parseArgs({ args: [...(options.argv ?? [])], options: SERVE_FLAGS, strict: true, allowPositionals: false }).values
  } catch (error) {
    fail('argv', `${(error as Error).message}; see pytrack serve --help`, error)
  }
  // Where each value came from, so errors name the variable or flag the user wrote.
  const from = new Map<keyof ServerSettings, string>()
  const raw: Raw = {}
  const configPath = (flags.config as string | undefined) ?? env.PYTRACK_CONFIG
  if (configPath !== undefined && configPath !== '') {
    const path = resolve(cwd, configPath)
    for (const [key, value] of Object.entries(fromConfigObject(readJsonFile(path, 'config'), path))) {
      raw[key as keyof ServerSettings] = value
      from.set(key as keyof ServerSettings, `${key} (in ${path})`)
    }
  }
  const envRaw = fromEnv(env)
  const envName = new Map(Object.entries(ENV).map(([name, key]) => [key, name]))
  for (const [key, value] of Object.entries(envRaw)) {
    raw[key as keyof ServerSettings] = value
    const envVar = envName.get(key as keyof ServerSettings)
    from.set(key as keyof ServerSettings, envVar !== undefined && env[envVar] ? envVar : 'PYTRACKING_CONFIGURATION')
  }
  const flagMap: [string, keyof ServerSettings][] = [
    ['host', 'host'],
    ['port', 'port'],
    ['public-url', 'publicUrl'],
    ['data-dir', 'dataDir'],
    ['log-level', 'logLevel'],
  ]
  for (const [flag, key] of flagMap) {
    if (flags[flag] !== undefined) {
      raw[key] = flags[flag]
      from.set(key, `--${flag}`)
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) {
      raw[key as keyof ServerSettings] = value
      from.set(key as keyof ServerSettings, key)
    }
  }
  const name = (key: keyof ServerSettings): string => from.get(key) ?? key
  const get = (key: keyof ServerSettings, fallback: unknown): unknown => (raw[key] === undefined ? fallback : raw[key])

  const host = text(name('host'), get('host', DEFAULTS.host))
  if (host === '') fail(name('host'), `${name('host')} must not be empty; use 127.0.0.1 (this machine) or 0.0.0.0 (every interface)`)
  const port = integer(name('port'), get('port', DEFAULTS.port), 0, 65535)
  // Unset, the public URL follows the port, so PYTRACK_PORT=9000 alone makes working links.
  const defaultPublicUrl = port === 0 || port === DEFAULTS.port ? DEFAULTS.publicUrl : `http://localhost:${port}`
  const publicUrlParsed = httpUrl(name('publicUrl'), get('publicUrl', defaultPublicUrl))
  if (publicUrlParsed.search !== '' || publicUrlParsed.hash !== '') {
    fail(name('publicUrl'), `${name('publicUrl')} must not have a query or fragment`)
  }
  const publicUrl = publicUrlParsed.href.replace(/\/+$/, '')
  const dataDir = resolve(cwd, text(name('dataDir'), get('dataDir', DEFAULTS.dataDir)))

  const tokenRaw = get('apiToken', null)
  const apiToken = tokenRaw === null ? null : text(name('apiToken'), tokenRaw)
  if (apiToken !== null && apiToken.length < 16) {
    fail(name('apiToken'), `${name('apiToken')} must be at least 16 characters; make one with: openssl rand -hex 32`)
  }
  if (apiToken === null && !isLoopbackHost(host) && options.serving !== false) {
    fail(
      'PYTRACK_API_TOKEN',
      `PYTRACK_API_TOKEN is required when listening on ${host} (outside localhost), so the API is not open to the network; make one with: openssl rand -hex 32`,
    )
  }

  const codec = text(name('codec'), get('codec', 'fernet')).toLowerCase()
  if (codec !== 'fernet' && codec !== 'signed' && codec !== 'base64') {
    fail(name('codec'), `${name('codec')} must be fernet, signed or base64; got "${codec}"`)
  }
  const keys = list(name('keys'), get('keys', []))
  const keyFileRaw = get('keyFile', null)
  const keyFile = keyFileRaw === null ? null : resolve(cwd, text(name('keyFile'), keyFileRaw))
  const ageRaw = get('maxLinkAgeSeconds', null)
  const maxLinkAgeSeconds = ageRaw === null ? null : integer(name('maxLinkAgeSeconds'), ageRaw, 1, 100 * 365 * 86400)

  const open = baseUrl(name('baseOpenTrackingUrl'), get('baseOpenTrackingUrl', `${publicUrl}/open/`))
  const click = baseUrl(name('baseClickTrackingUrl'), get('baseClickTrackingUrl', `${publicUrl}/click/`))
  const defaultMetadata = get('defaultMetadata', null)
  if (defaultMetadata !== null && !isObject(defaultMetadata)) {
    fail(name('defaultMetadata'), `${name('defaultMetadata')} must be a JSON object`)
  }

  const webhookUrls = list(name('webhookUrls'), get('webhookUrls', [])).map((url) => httpUrl(name('webhookUrls'), url, true).href)
  const secretRaw = get('webhookSecret', null)
  const webhookSecret = secretRaw === null ? null : text(name('webhookSecret'), secretRaw)
  if (webhookSecret !== null && webhookSecret.length < 16) {
    fail(name('webhookSecret'), `${name('webhookSecret')} is too short; use a Standard Webhooks secret such as whsec_ followed by 32 random bytes in base64`)
  }

  const logLevel = text(name('logLevel'), get('logLevel', 'info')).toLowerCase()
  if (!LOG_LEVELS.has(logLevel)) fail(name('logLevel'), `${name('logLevel')} must be one of ${[...LOG_LEVELS].join(', ')}; got "${logLevel}"`)
  const synchronous = text(name('synchronous'), get('synchronous', 'normal')).toLowerCase()
  if (synchronous !== 'normal' && synchronous !== 'full') {
    fail(name('synchronous'), `${name('synchronous')} must be normal or full; got "${synchronous}"`)
  }
  const emailKey = text(name('emailKey'), get('emailKey', 'message_id'))
  if (!/^[A-Za-z0-9_\-.:]{1,64}$/.test(emailKey)) {
    fail(name('emailKey'), `${name('emailKey')} must be a metadata key of 1 to 64 letters, digits or _-.:`)
  }

  return {
    host,
    port,
    publicUrl,
    dataDir,
    apiToken,
    codec,
    keys,
    keyFile,
    maxLinkAgeSeconds,
    baseOpenTrackingUrl: open,
    baseClickTrackingUrl: click,
    defaultMetadata: defaultMetadata as Metadata | null,
    includeDefaultMetadata: bool(name('includeDefaultMetadata'), get('includeDefaultMetadata', false)),
    appendSlash: bool(name('appendSlash'), get('appendSlash', false)),
    webhookUrls,
    webhookSecret,
    webhookTimeoutSeconds: positive(name('webhookTimeoutSeconds'), get('webhookTimeoutSeconds', 5)),
    webhookMaxAttempts: integer(name('webhookMaxAttempts'), get('webhookMaxAttempts', 12), 1, 1000),
    webhookRetryBaseMs: integer(name('webhookRetryBaseMs'), get('webhookRetryBaseMs', 10_000), 1, 86_400_000),
    logLevel: logLevel as LogLevel,
    trustedProxies: list(name('trustedProxies'), get('trustedProxies', [])),
    redirectAllow: list(name('redirectAllow'), get('redirectAllow', [])),
    emailKey,
    synchronous,
    shutdownTimeoutMs: integer(name('shutdownTimeoutMs'), get('shutdownTimeoutMs', 10_000), 0, 600_000),
  }
}
