import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { describeValue, parseHttpUrl, type Metadata, type PytrackingSettings } from '@pytrack/core'
import { SettingsError } from './errors/settings-error'
import { FlagError, parseFlags, type FlagSpec } from './_internal/flags'

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
 * What the server stores of a client's IP address: all of it, its network (IPv4 /24, IPv6 /48),
 * or nothing. Machine labels are computed from the full address first, whatever this says.
 *
 * @example
 * ```ts
 * loadSettings({ overrides: { clientAddress: 'network' satisfies AddressPolicy } })
 * ```
 */
export type AddressPolicy = 'full' | 'network' | 'none'

/**
 * What the server stores of a client's `User-Agent`: all of it, its family and major version
 * (`Chrome 120`, `Outlook 16`), or nothing. Machine labels use the full header first.
 *
 * @example
 * ```ts
 * loadSettings({ overrides: { clientUserAgent: 'family' satisfies UserAgentPolicy } })
 * ```
 */
export type UserAgentPolicy = 'full' | 'family' | 'none'

/** What a setting's parser is given besides the raw value. */
interface SettingContext {
  /** The source the user wrote (`PYTRACK_PORT`, `--port`, `port (in /etc/pytrack.json)`), for messages. */
  name: string
  /** The settings declared before this one, already checked. */
  earlier: Partial<ServerSettings>
  cwd: string
  /** False for `encode`, `decode` and `adapt`, which only make and read links. */
  serving: boolean
}

interface SettingFlag {
  name: string
  short?: string
  /** The value's placeholder, such as `PORT`. */
  arg: string
  /** True when the link commands (`encode`, `decode`, `adapt`) take it too, not only `serve`. */
  link: boolean
}

/**
 * One server setting, declared once: everything else (the {@link ServerSettings} type, the
 * environment, flag and config-file readers, `pytrack serve --help` and the README table) is
 * derived from these declarations.
 */
interface SettingDeclaration<T> {
  /** Its environment variable; null for settings only a config file sets. */
  env: string | null
  /** Its command-line flag, if it has one. */
  flag?: SettingFlag
  /** Other names a config file may use. */
  aliases?: readonly string[]
  /** The raw value used when no source sets it (fed to `parse`); a function for defaults that follow other settings. */
  default: unknown
  /** The default as the README and help show it, when `default` is a function. */
  shown?: string
  /** One line saying what it is (Markdown; the README table and `pytrack serve --help`). */
  help: string
  /** Checks and converts a raw value (a string from the environment or a flag, any JSON from a config file). */
  parse: (value: unknown, context: SettingContext) => T
}

function fail(setting: string, message: string, cause?: unknown): never {
  throw new SettingsError(message, { setting, cause })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(name, `${name} must be a string, not ${describeValue(value)}`)
  return value.trim()
}

function nonEmptyText(name: string, value: unknown, example: string): string {
  const string = text(name, value)
  if (string === '') fail(name, `${name} must not be empty; ${example}`)
  return string
}

function optionalText(name: string, value: unknown): string | null {
  return value === null ? null : text(name, value)
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

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  const string = text(name, value).toLowerCase()
  if (!(allowed as readonly string[]).includes(string)) {
    const choices = allowed.length > 3 ? `one of ${allowed.join(', ')}` : `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1) ?? ''}`
    fail(name, `${name} must be ${choices}; got "${string}"`)
  }
  return string as T
}

// Core's rule for a configured URL, its ConfigurationError said as a SettingsError naming the
// source the user wrote. `secret`: the URL may carry a token (webhook URLs often do), so the
// message does not repeat it.
function httpUrl(name: string, value: unknown, secret = false): URL {
  const string = text(name, value)
  try {
    return parseHttpUrl(string, name, { example: 'https://track.example.com', secret })
  } catch (error) {
    fail(name, (error as Error).message, error)
  }
}

function baseUrl(name: string, value: unknown): string {
  const url = httpUrl(name, value)
  if (url.search !== '' || url.hash !== '') fail(name, `${name} must not have a query or fragment; got "${String(value)}"`)
  return url.href.endsWith('/') ? url.href : `${url.href}/`
}

// A bearer token is one word of visible ASCII (RFC 6750); with a space in it no client can send it.
function apiToken(value: unknown, { name, earlier, serving }: SettingContext): string | null {
  const token = optionalText(name, value)
  if (token === null) {
    if (serving && !isLoopbackHost(earlier.host ?? '')) {
      fail(name, `${name} is required when listening on ${earlier.host ?? ''} (outside localhost), so the API is not open to the network; make one with: openssl rand -hex 32`)
    }
    return null
  }
  if (token.length < 16) fail(name, `${name} must be at least 16 characters; make one with: openssl rand -hex 32`)
  if (!/^[\x21-\x7e]+$/.test(token)) {
    fail(name, `${name} must be one word of visible ASCII characters (no spaces, as clients send it in an Authorization header); make one with: openssl rand -hex 32`)
  }
  return token
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

// A duration as people write it (`30d`, `12h`, `15m`, `90s`), or `off` (null) for no limit; a number is milliseconds.
function duration(name: string, value: unknown): number | null {
  if (value === null) return null
  // A number is milliseconds (a config file, or programmatic overrides).
  if (typeof value === 'number') return integer(name, value, 1, 100 * 365 * 86_400_000)
  const string = text(name, value).toLowerCase()
  if (string === 'off') return null
  const match = /^(\d{1,6})\s*([smhd])$/.exec(string)
  const ms = match === null ? 0 : Number(match[1]) * (DURATION_UNITS[match[2] as string] as number)
  if (ms <= 0) fail(name, `${name} must be a duration such as 30d, 12h, 15m or 90s, or off; got "${string}"`)
  return ms
}

function metadataKey(name: string, key: string): string {
  if (!/^[A-Za-z0-9_\-.:]{1,64}$/.test(key)) fail(name, `${name} must name metadata keys of 1 to 64 letters, digits or _-.:; got "${key}"`)
  return key
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

// The settings, in the order they are checked (a default or check may use those before it).
// Each entry's TSDoc is the ServerSettings property's documentation.
const SETTINGS = {
  /** The interface to listen on. Default `127.0.0.1`. */
  host: {
    env: 'PYTRACK_HOST',
    flag: { name: 'host', arg: 'HOST', link: false },
    default: '127.0.0.1',
    help: 'interface to listen on (`0.0.0.0` for every interface)',
    parse: (value: unknown, { name }: SettingContext): string => nonEmptyText(name, value, 'use 127.0.0.1 (this machine) or 0.0.0.0 (every interface)'),
  },
  /** The port to listen on; 0 picks a free one. Default 8080. */
  port: {
    env: 'PYTRACK_PORT',
    flag: { name: 'port', short: 'p', arg: 'PORT', link: true },
    default: 8080,
    help: 'port; `0` picks a free one (links made by `encode` and `adapt` follow it)',
    parse: (value: unknown, { name }: SettingContext): number => integer(name, value, 0, 65535),
  },
  /** The URL the world reaches this server at, without a trailing slash. Default `http://localhost:<port>`. */
  publicUrl: {
    env: 'PYTRACK_PUBLIC_URL',
    flag: { name: 'public-url', arg: 'URL', link: true },
    // Unset, the public URL follows the port, so PYTRACK_PORT=9000 alone makes working links.
    default: (earlier: Partial<ServerSettings>): string => `http://localhost:${earlier.port === 0 || earlier.port === undefined ? 8080 : earlier.port}`,
    shown: 'http://localhost:<port>',
    help: 'the URL links point to (your tracking domain behind a proxy)',
    parse: (value: unknown, { name }: SettingContext): string => {
      const url = httpUrl(name, value)
      if (url.search !== '' || url.hash !== '') fail(name, `${name} must not have a query or fragment`)
      return url.href.replace(/\/+$/, '')
    },
  },
  /** Where the database and the generated key live. Default `./data` (absolute once loaded). */
  dataDir: {
    env: 'PYTRACK_DATA_DIR',
    flag: { name: 'data-dir', arg: 'DIR', link: true },
    default: './data',
    help: 'database and generated key',
    parse: (value: unknown, { name, cwd }: SettingContext): string => resolve(cwd, text(name, value)),
  },
  /** The bearer token of the HTTP API; null leaves the API open, allowed only on a loopback host. */
  apiToken: {
    env: 'PYTRACK_API_TOKEN',
    default: null,
    help: 'bearer token of the API (16+ visible ASCII characters, no spaces). **Required** when the host is not a loopback address; without it (on localhost only) the API is open',
    parse: (value: unknown, context: SettingContext): string | null => apiToken(value, context),
  },
  /** How links are sealed. Default `fernet`; `base64` for pytracking settings without a key. */
  codec: {
    env: 'PYTRACK_CODEC',
    flag: { name: 'codec', arg: 'CODEC', link: true },
    default: 'fernet',
    help: "`fernet` (encrypted, pytracking's `encryption_bytestring_key`), `signed` (readable, tamper-proof) or `base64` (pytracking's plain links: forgeable)",
    parse: (value: unknown, { name }: SettingContext): CodecName => oneOf(name, value, ['fernet', 'signed', 'base64'] as const),
  },
  /** Link keys, the first sealing and all opening. Empty: read or create `<dataDir>/keys`. */
  keys: {
    env: 'PYTRACK_KEYS',
    default: [] as string[],
    help: 'link keys, newest first: the first seals new links, every one opens links',
    parse: (value: unknown, { name }: SettingContext): string[] => list(name, value),
  },
  /** A file of keys, one a line (`#` comments). Null: `<dataDir>/keys`. */
  keyFile: {
    env: 'PYTRACK_KEY_FILE',
    flag: { name: 'key-file', arg: 'FILE', link: true },
    default: null,
    shown: '<dataDir>/keys',
    help: 'a file of keys, one a line, `#` comments; created (0600) with one key when neither is given',
    parse: (value: unknown, { name, cwd }: SettingContext): string | null => (value === null ? null : resolve(cwd, text(name, value))),
  },
  /** The longest age of a link the server still accepts, in seconds (Fernet and signed); null: no limit. */
  maxLinkAgeSeconds: {
    env: 'PYTRACK_MAX_LINK_AGE',
    default: null,
    help: 'refuse links older than this many seconds (Fernet and signed)',
    parse: (value: unknown, { name }: SettingContext): number | null => (value === null ? null : integer(name, value, 1, 100 * 365 * 86400)),
  },
  /** Where open links point. Default `<publicUrl>/open/`. */
  baseOpenTrackingUrl: {
    env: 'PYTRACK_OPEN_URL',
    default: (earlier: Partial<ServerSettings>): string => `${earlier.publicUrl ?? ''}/open/`,
    shown: '<publicUrl>/open/',
    help: 'base of open links; its path is the pixel route',
    parse: (value: unknown, { name }: SettingContext): string => baseUrl(name, value),
  },
  /** Where click links point. Default `<publicUrl>/click/`. */
  baseClickTrackingUrl: {
    env: 'PYTRACK_CLICK_URL',
    default: (earlier: Partial<ServerSettings>): string => `${earlier.publicUrl ?? ''}/click/`,
    shown: '<publicUrl>/click/',
    help: 'base of click links; its path is the redirect route',
    parse: (value: unknown, { name }: SettingContext): string => baseUrl(name, value),
  },
  /** Metadata every event carries (pytracking's `default_metadata`). */
  defaultMetadata: {
    env: null,
    default: null,
    help: "metadata every event carries (pytracking's `default_metadata`)",
    parse: (value: unknown, { name }: SettingContext): Metadata | null => {
      if (value !== null && !isObject(value)) fail(name, `${name} must be a JSON object`)
      return value as Metadata | null
    },
  },
  /** Seal `defaultMetadata` into each link instead of adding it when decoding. Default false. */
  includeDefaultMetadata: {
    env: null,
    default: false,
    help: "seal `defaultMetadata` into each link instead of adding it when decoding (pytracking's `include_default_metadata`)",
    parse: (value: unknown, { name }: SettingContext): boolean => bool(name, value),
  },
  /** End every link with `/` (pytracking's `append_slash`, for Django routes). Default false. */
  appendSlash: {
    env: null,
    default: false,
    help: "end every link with `/` (pytracking's `append_slash`, for Django routes)",
    parse: (value: unknown, { name }: SettingContext): boolean => bool(name, value),
  },
  /** Webhooks every event is forwarded to. */
  webhookUrls: {
    env: 'PYTRACK_WEBHOOK_URL',
    aliases: ['webhookUrl'] as const,
    default: [] as string[],
    help: 'webhooks every event is forwarded to',
    parse: (value: unknown, { name }: SettingContext): string[] => list(name, value).map((url) => httpUrl(name, url, true).href),
  },
  /** The Standard Webhooks signing secret (`whsec_...`); null sends unsigned deliveries. */
  webhookSecret: {
    env: 'PYTRACK_WEBHOOK_SECRET',
    default: null,
    help: 'Standard Webhooks secret (`whsec_...`, `pytrack keygen --webhook`); unsigned deliveries without it',
    parse: (value: unknown, { name }: SettingContext): string | null => {
      const secret = optionalText(name, value)
      if (secret !== null && secret.length < 16) {
        fail(name, `${name} is too short; use a Standard Webhooks secret such as whsec_ followed by 32 random bytes in base64`)
      }
      return secret
    },
  },
  /** How long one webhook request may take, in seconds. Default 5. */
  webhookTimeoutSeconds: {
    env: 'PYTRACK_WEBHOOK_TIMEOUT',
    default: 5,
    help: 'time limit of one webhook request, in seconds',
    parse: (value: unknown, { name }: SettingContext): number => positive(name, value),
  },
  /** Delivery attempts (each with @pytrack/webhook's own quick retries) before a delivery is marked failed. Default 12 (about 3 hours of backoff). */
  webhookMaxAttempts: {
    env: 'PYTRACK_WEBHOOK_MAX_ATTEMPTS',
    default: 12,
    help: 'delivery attempts before a delivery is marked `failed`',
    parse: (value: unknown, { name }: SettingContext): number => integer(name, value, 1, 1000),
  },
  /** The first pause between delivery attempts, doubled each time up to an hour. Default 10 000 ms. */
  webhookRetryBaseMs: {
    env: 'PYTRACK_WEBHOOK_RETRY_BASE_MS',
    default: 10_000,
    help: 'first pause between attempts, doubled each time up to one hour (12 attempts span about 3 hours)',
    parse: (value: unknown, { name }: SettingContext): number => integer(name, value, 1, 86_400_000),
  },
  /** The pino log level. Default `info`. */
  logLevel: {
    env: 'PYTRACK_LOG_LEVEL',
    flag: { name: 'log-level', arg: 'LEVEL', link: false },
    default: 'info',
    help: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
    parse: (value: unknown, { name }: SettingContext): LogLevel => oneOf(name, value, LOG_LEVELS),
  },
  /** Proxies whose `X-Forwarded-For`/`Forwarded` headers are believed (IPs or CIDRs). */
  trustedProxies: {
    env: 'PYTRACK_TRUSTED_PROXIES',
    default: [] as string[],
    help: 'proxies whose `X-Forwarded-For` is believed for the client IP (IPs, CIDRs, `loopback`, `private`)',
    parse: (value: unknown, { name }: SettingContext): string[] => list(name, value),
  },
  /** Where base64 (forgeable) click links may redirect: origins or host names. */
  redirectAllow: {
    env: 'PYTRACK_REDIRECT_ALLOW',
    default: [] as string[],
    help: 'where `base64` click links may redirect (hosts, `*.example.com`, origins); Fernet and signed links redirect anywhere http(s)',
    parse: (value: unknown, { name }: SettingContext): string[] => list(name, value),
  },
  /** The metadata key naming an email, for unique counts. Default `message_id`. */
  emailKey: {
    env: 'PYTRACK_EMAIL_KEY',
    default: 'message_id',
    help: 'the metadata key naming an email, for unique counts',
    parse: (value: unknown, { name }: SettingContext): string => metadataKey(name, text(name, value)),
  },
  /** What of a client's IP address is stored: `full`, `network` (IPv4 /24, IPv6 /48) or `none`. Default `full`. */
  clientAddress: {
    env: 'PYTRACK_CLIENT_ADDRESS',
    default: 'full',
    help: "what of a client's IP address is stored: `full`, `network` (IPv4 /24, IPv6 /48) or `none`; machine labels use the full address first",
    parse: (value: unknown, { name }: SettingContext): AddressPolicy => oneOf(name, value, ['full', 'network', 'none'] as const),
  },
  /** What of a client's User-Agent is stored: `full`, `family` (such as `Chrome 120`) or `none`. Default `full`. */
  clientUserAgent: {
    env: 'PYTRACK_CLIENT_USER_AGENT',
    default: 'full',
    help: "what of a client's User-Agent is stored: `full`, `family` (client and major version, such as `Chrome 120`) or `none`",
    parse: (value: unknown, { name }: SettingContext): UserAgentPolicy => oneOf(name, value, ['full', 'family', 'none'] as const),
  },
  /** Age after which events are anonymised or deleted (ms); null keeps them as they are. Default null. */
  retentionMs: {
    env: 'PYTRACK_RETENTION',
    default: 'off',
    help: 'age after which events are anonymised or deleted by a background job (`90d`, `12h`, `off`)',
    parse: (value: unknown, { name }: SettingContext): number | null => duration(name, value),
  },
  /** What retention does to old events: `anonymize` (drop address, User-Agent, referer, `retentionDropKeys`) or `delete`. Default `anonymize`. */
  retentionMode: {
    env: 'PYTRACK_RETENTION_MODE',
    default: 'anonymize',
    help: '`anonymize` (drop the address, User-Agent, referer and the drop keys; stats stay) or `delete` old events',
    parse: (value: unknown, { name }: SettingContext): 'anonymize' | 'delete' => oneOf(name, value, ['anonymize', 'delete'] as const),
  },
  /** Metadata keys that anonymising removes too (a recipient's email address, say). */
  retentionDropKeys: {
    env: 'PYTRACK_RETENTION_DROP_KEYS',
    default: [] as string[],
    help: 'metadata keys anonymising removes too (such as `email`); keep the ones you group stats by',
    parse: (value: unknown, { name }: SettingContext): string[] => list(name, value).map((key) => metadataKey(name, key)),
  },
  /** Age after which delivered webhook outbox rows are deleted (ms); null keeps them. Default 30 days. */
  deliveredRetentionMs: {
    env: 'PYTRACK_DELIVERED_RETENTION',
    default: '30d',
    help: 'age after which delivered webhook deliveries are deleted from the outbox (`off` keeps them)',
    parse: (value: unknown, { name }: SettingContext): number | null => duration(name, value),
  },
  /** SQLite durability: `normal` survives a killed process, `full` also power loss. Default `normal`. */
  synchronous: {
    env: 'PYTRACK_SYNCHRONOUS',
    default: 'normal',
    help: 'SQLite durability: `normal` survives a killed process, `full` also power loss',
    parse: (value: unknown, { name }: SettingContext): 'normal' | 'full' => oneOf(name, value, ['normal', 'full'] as const),
  },
  /**
   * The PostgreSQL database (`postgres://user:password@host:5432/pytrack`) of every instance of
   * one server; null: SQLite at `<dataDir>/pytrack.db`. Needs `@pytrack/store-postgres`.
   */
  databaseUrl: {
    env: 'PYTRACK_DATABASE_URL',
    default: null,
    shown: 'SQLite in the data folder',
    help: 'PostgreSQL URL (`postgres://user:password@host:5432/pytrack`, with `@pytrack/store-postgres` installed): several instances on one database act as one server',
    parse: (value: unknown, { name }: SettingContext): string | null => {
      const url = optionalText(name, value)
      if (url === null || url === '') return null
      // The URL holds a password: the message never repeats it.
      if (!/^postgres(ql)?:\/\/[^/\s]/.test(url)) fail(name, `${name} must be a URL such as postgres://user:password@host:5432/pytrack`)
      return url
    },
  },
  /**
   * Processes serving on the one port (`pytrack serve`): a number, or `auto` for one a core.
   * Default 1. With SQLite they share the database file (one machine, a local disk).
   */
  workers: {
    env: 'PYTRACK_WORKERS',
    flag: { name: 'workers', arg: 'N', link: false },
    default: 1,
    help: 'processes serving on the one port, or `auto` (one a core); a dead one is restarted',
    parse: (value: unknown, { name }: SettingContext): number =>
      typeof value === 'string' && value.trim().toLowerCase() === 'auto' ? availableParallelism() : integer(name, value, 1, 256),
  },
  /** How long shutdown waits for in-flight requests and deliveries, in ms. Default 10 000. */
  shutdownTimeoutMs: {
    env: 'PYTRACK_SHUTDOWN_TIMEOUT_MS',
    default: 10_000,
    help: 'how long shutdown waits for requests and deliveries in flight',
    parse: (value: unknown, { name }: SettingContext): number => integer(name, value, 0, 600_000),
  },
}

type SettingKey = keyof typeof SETTINGS

/** The settings' values, derived from their declarations (see {@link ServerSettings}). */
// Written over `keyof typeof SETTINGS` (not SettingKey) so the mapped type keeps each entry's TSDoc.
type SettingValues = { -readonly [K in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[K]['parse']> }

/**
 * Everything the server needs, checked. Built by {@link loadSettings}.
 *
 * @example
 * ```ts
 * const settings: ServerSettings = loadSettings()
 * settings.publicUrl // 'http://localhost:8080'
 * ```
 */
export interface ServerSettings extends SettingValues {}

// The same table seen through its common shape, to loop over.
const DECLARATIONS: Readonly<Record<SettingKey, SettingDeclaration<unknown>>> = SETTINGS

/** The sources of settings that are not settings themselves: the config file and pytracking's dict. */
export const SETTING_SOURCES: readonly { env: string; flag?: SettingFlag; help: string }[] = [
  {
    env: 'PYTRACK_CONFIG',
    flag: { name: 'config', short: 'c', arg: 'FILE', link: true },
    help: "a JSON config file: server settings (by their config keys) or pytracking's settings",
  },
  { env: 'PYTRACKING_CONFIGURATION', help: "pytracking's settings dict as JSON, accepted as it is" },
]

const CONFIG_FLAG = 'config'

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
  /** Command-line flags of `pytrack serve` (`--config`, `--host`, `--port`, `--public-url`, `--data-dir`, `--key-file`, `--codec`, `--log-level`). */
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

const KEYS = Object.keys(SETTINGS) as SettingKey[]

// Config-file names (keys and aliases) -> setting.
const CONFIG_NAMES = new Map<string, SettingKey>(KEYS.flatMap((key) => [key, ...(DECLARATIONS[key].aliases ?? [])].map((name) => [name, key] as const)))

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

/** Raw values by setting, each with the name of the source the user wrote, for messages. */
type Raw = Map<SettingKey, { value: unknown; from: string }>

/** The settings' flags `serve` takes, or those the link commands (`encode`, `decode`, `adapt`) take. */
export function settingFlags(command: 'serve' | 'link'): Record<string, FlagSpec> {
  const specs: Record<string, FlagSpec> = {}
  for (const { flag } of [...SETTING_SOURCES, ...KEYS.map((key) => DECLARATIONS[key])]) {
    if (flag === undefined || (command === 'link' && !flag.link)) continue
    specs[flag.name] = { type: 'string', arg: flag.arg, ...(flag.short === undefined ? {} : { short: flag.short }) }
  }
  return specs
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

/** Maps pytracking's snake_case dict onto server settings, unchanged in meaning; each value named by its pytracking key. */
function fromPytracking(settings: unknown, where: string): Raw {
  if (!isObject(settings)) fail(where, `${where} must be a JSON object of pytracking settings`)
  const p = settings as PytrackingSettings
  const raw: Raw = new Map()
  const set = (key: SettingKey, value: unknown, pytrackingKey: string): void => {
    raw.set(key, { value, from: `${pytrackingKey} (in ${where})` })
  }
  const given = (value: unknown): boolean => value !== undefined && value !== null
  if (given(p.encoding) && !/^utf-?8$/i.test(String(p.encoding))) {
    fail(where, `encoding (in ${where}): "${String(p.encoding)}" is not supported; pytrack links are UTF-8`)
  }
  if (p.webhook_url) set('webhookUrls', [p.webhook_url], 'webhook_url')
  if (given(p.webhook_timeout_seconds)) set('webhookTimeoutSeconds', p.webhook_timeout_seconds, 'webhook_timeout_seconds')
  if (p.base_open_tracking_url) set('baseOpenTrackingUrl', p.base_open_tracking_url, 'base_open_tracking_url')
  if (p.base_click_tracking_url) set('baseClickTrackingUrl', p.base_click_tracking_url, 'base_click_tracking_url')
  if (given(p.default_metadata)) set('defaultMetadata', p.default_metadata, 'default_metadata')
  if (given(p.include_default_metadata)) set('includeDefaultMetadata', p.include_default_metadata, 'include_default_metadata')
  if (given(p.append_slash)) set('appendSlash', p.append_slash, 'append_slash')
  const key = p.encryption_bytestring_key
  if (key !== undefined && key !== null && key !== '') {
    set('codec', 'fernet', 'encryption_bytestring_key')
    set('keys', [key], 'encryption_bytestring_key')
  } else {
    // Links pytracking made without a key are plain base64: keep reading them as they are.
    set('codec', 'base64', 'encryption_bytestring_key (not set)')
  }
  return raw
}

function fromConfigFile(path: string): Raw {
  const config = readJsonFile(path, 'config')
  if (!isObject(config)) fail('config', `the config file ${path} must hold a JSON object`)
  const names = Object.keys(config)
  const pytrackingOnly = names.length > 0 && names.some((k) => PYTRACKING_KEYS.has(k)) && !names.some((k) => CONFIG_NAMES.has(k) || k === 'pytracking')
  // A pytracking settings file (PYTRACKING_CONFIGURATION as JSON) is accepted as it is.
  if (pytrackingOnly) return fromPytracking(config, `the pytracking settings in ${path}`)
  let raw: Raw = new Map()
  for (const name of names) {
    const key = CONFIG_NAMES.get(name)
    if (name === 'pytracking') {
      raw = new Map([...fromPytracking(config[name], `"pytracking" in ${path}`), ...raw])
    } else if (key !== undefined) {
      raw.set(key, { value: config[name], from: `${name} (in ${path})` })
    } else {
      fail(name, `the config file ${path} has an unknown setting "${name}"; the settings are: ${[...CONFIG_NAMES.keys()].sort().join(', ')}, pytracking`)
    }
  }
  return raw
}

function fromEnv(env: Record<string, string | undefined>): Raw {
  let raw: Raw = new Map()
  const pytracking = env.PYTRACKING_CONFIGURATION
  if (pytracking !== undefined && pytracking.trim() !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(pytracking)
    } catch (error) {
      fail('PYTRACKING_CONFIGURATION', `PYTRACKING_CONFIGURATION is not valid JSON: ${(error as Error).message}`, error)
    }
    raw = fromPytracking(parsed, 'PYTRACKING_CONFIGURATION')
  }
  for (const key of KEYS) {
    const name = DECLARATIONS[key].env
    const value = name === null ? undefined : env[name]
    if (name === null || value === undefined || value === '') continue
    const pytrackingKeys = raw.get('keys')
    if (key === 'keys' && pytrackingKeys !== undefined) {
      // Keys named in PYTRACK_KEYS seal; pytracking's key keeps opening the links already sent.
      const named = value.split(',').map((k) => k.trim())
      const old = (pytrackingKeys.value as string[]).filter((k) => !named.includes(k))
      raw.set(key, { value: [...named, ...old], from: old.length === 0 ? name : `${name} (with encryption_bytestring_key in PYTRACKING_CONFIGURATION)` })
      continue
    }
    raw.set(key, { value, from: name })
  }
  return raw
}

/** The flag values (as parseArgs gives them) of the settings that have flags. */
function fromFlags(values: Readonly<Record<string, unknown>>): Raw {
  const raw: Raw = new Map()
  for (const key of KEYS) {
    const flag = DECLARATIONS[key].flag
    if (flag !== undefined && values[flag.name] !== undefined) raw.set(key, { value: values[flag.name], from: `--${flag.name}` })
  }
  return raw
}

/** True for 127.0.0.0/8, ::1 and `localhost`: hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost' || bare === '::1') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (bare.startsWith('::ffff:')) return bare.slice(7).startsWith('127.')
  return false
}

/** What {@link readSettings} reads: {@link LoadSettingsOptions} with the flags already parsed. */
export interface ReadSettingsOptions extends Omit<LoadSettingsOptions, 'argv'> {
  /** Flag values by flag name (`port`, `public-url`, `config`), as parseArgs gives them. */
  flags?: Readonly<Record<string, unknown>> | undefined
}

/** {@link loadSettings} for callers that parsed the flags themselves (the CLI's `encode`, `decode`, `adapt`). */
export function readSettings(options: ReadSettingsOptions = {}): ServerSettings {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const flags = options.flags ?? {}
  const raw: Raw = new Map()
  const configFlag = flags[CONFIG_FLAG]
  const configPath = typeof configFlag === 'string' ? configFlag : env.PYTRACK_CONFIG
  if (configPath !== undefined && configPath !== '') {
    for (const [key, entry] of fromConfigFile(resolve(cwd, configPath))) raw.set(key, entry)
  }
  for (const [key, entry] of [...fromEnv(env), ...fromFlags(flags)]) raw.set(key, entry)
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined && Object.hasOwn(SETTINGS, key)) raw.set(key as SettingKey, { value, from: key })
  }
  const earlier: Partial<Record<SettingKey, unknown>> = {}
  const names = new Map<string, string>()
  for (const key of KEYS) {
    const declaration = DECLARATIONS[key]
    const given = raw.get(key)
    const fallback = typeof declaration.default === 'function' ? (declaration.default as (e: typeof earlier) => unknown)(earlier) : declaration.default
    const context: SettingContext = { name: given?.from ?? declaration.env ?? key, earlier: earlier as Partial<ServerSettings>, cwd, serving: options.serving !== false }
    earlier[key] = declaration.parse(given === undefined ? fallback : given.value, context)
    names.set(key, context.name)
  }
  SOURCE_NAMES.set(earlier, names)
  return earlier as ServerSettings
}

// Which source each loaded setting came from, for checks made after loading (the keys, when the codec is built).
const SOURCE_NAMES = new WeakMap<object, Map<string, string>>()

/**
 * The name of the source a setting of `settings` came from, as the user wrote it
 * (`PYTRACK_KEYS`, `encryption_bytestring_key (in PYTRACKING_CONFIGURATION)`); for settings
 * not made by {@link loadSettings} (or copied from them), the setting's variable.
 */
export function settingSource(settings: object, key: SettingKey): string {
  return SOURCE_NAMES.get(settings)?.get(key) ?? DECLARATIONS[key].env ?? key
}

/**
 * Reads and checks the server settings: defaults, then the config file (`--config` or
 * `PYTRACK_CONFIG`), then `PYTRACKING_CONFIGURATION` and `PYTRACK_*` environment variables,
 * then command-line flags, then `overrides`. Throws {@link SettingsError} naming the bad setting
 * as the user wrote it (the variable, the flag, or the key in the config file).
 *
 * @example
 * ```ts
 * const settings = loadSettings({ env: process.env, argv: ['--port', '9000'] })
 * settings.port // 9000
 * ```
 */
export function loadSettings(options: LoadSettingsOptions = {}): ServerSettings {
  let flags: Record<string, unknown>
  try {
    const parsed = parseFlags('pytrack serve', options.argv ?? [], settingFlags('serve'))
    if (parsed.positionals.length > 0) throw new FlagError(`pytrack serve takes no arguments; got "${parsed.positionals[0] ?? ''}"`)
    flags = parsed.values
  } catch (error) {
    if (!(error instanceof FlagError)) throw error
    fail('argv', `${error.message}; see pytrack serve --help`, error)
  }
  const { argv: _argv, ...rest } = options
  return readSettings({ ...rest, flags })
}

/** A setting (or source) as `pytrack serve --help` and the README table show it. */
export interface SettingRow {
  env: string | null
  configKeys: readonly string[]
  flag: SettingFlag | null
  default: string
  help: string
}

function shownDefault(declaration: SettingDeclaration<unknown>): string {
  if (declaration.shown !== undefined) return declaration.shown
  const value = declaration.default
  if (value === null || (Array.isArray(value) && value.length === 0)) return 'none'
  return String(value)
}

/** Every setting, then the sources, in order: what the help and the README table are made from. */
export function settingRows(): SettingRow[] {
  return [
    ...KEYS.map((key) => {
      const declaration = DECLARATIONS[key]
      return { env: declaration.env, configKeys: [key, ...(declaration.aliases ?? [])], flag: declaration.flag ?? null, default: shownDefault(declaration), help: declaration.help }
    }),
    ...SETTING_SOURCES.map((source) => ({ env: source.env, configKeys: [], flag: source.flag ?? null, default: 'none', help: source.help })),
  ]
}
