import { base64Codec, getKeyCodecFactory, type Codec } from './codec'
import { ConfigurationError } from './errors/configuration-error'
import { isPytrackError } from './errors/pytrack-error'
import { describeValue, parseHttpUrl } from './option-rules'
import { toPythonJsonFrom } from './_internal/python-json'

/**
 * A value JSON can carry.
 *
 * @example
 * ```ts
 * const value: JsonValue = { tags: ['sale', 2026], opened: null }
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * What you seal into a link: a plain object of JSON values. `undefined` properties are
 * left out, as `JSON.stringify` does.
 *
 * @example
 * ```ts
 * const metadata: Metadata = { customer_id: 1, campaign: 'spring', coupon: undefined } // coupon left out
 * ```
 */
export type Metadata = { [key: string]: JsonValue | undefined }

/**
 * The fields of a {@link Configuration}; every one is optional.
 *
 * @example
 * ```ts
 * const init: ConfigurationInit = { baseClickTrackingUrl: 'https://t.example.com/c/', appendSlash: true }
 * ```
 */
export interface ConfigurationInit {
  /** The webhook to notify of tracking events. Default: none. */
  webhookUrl?: string | null | undefined
  /** How long a webhook delivery may take, in seconds. Default: 5. */
  webhookTimeoutSeconds?: number | undefined
  /** Seal `webhookUrl` into each link (pytracking's `include_webhook_url`). Default: false. */
  includeWebhookUrl?: boolean | undefined
  /** The absolute http(s) URL open links start with, e.g. `https://t.example.com/open/`. */
  baseOpenTrackingUrl?: string | null | undefined
  /** The absolute http(s) URL click links start with, e.g. `https://t.example.com/click/`. */
  baseClickTrackingUrl?: string | null | undefined
  /** Metadata every result carries. Default: none. */
  defaultMetadata?: Metadata | null | undefined
  /** Seal `defaultMetadata` into each link instead of adding it when decoding. Default: false. */
  includeDefaultMetadata?: boolean | undefined
  /** End every link with `/` (pytracking's `append_slash`, for Django routes). Default: false. */
  appendSlash?: boolean | undefined
  /** How the payload is sealed. Default: {@link base64Codec}, pytracking's plain base64. */
  codec?: Codec | undefined
  /** The longest link to make or accept, in characters. Default: 2048. */
  maxLinkLength?: number | undefined
}

/**
 * pytracking's snake_case settings dict (Django's `PYTRACKING_CONFIGURATION`), as JSON.
 *
 * @example
 * ```ts
 * const settings: PytrackingSettings = { base_click_tracking_url: 'https://t.example.com/c/', default_metadata: { app: 'crm' } }
 * Configuration.fromPytracking(settings)
 * ```
 */
export interface PytrackingSettings {
  /** The webhook to notify of tracking events; becomes `webhookUrl`. */
  webhook_url?: string | null
  /** How long a webhook delivery may take, in seconds; becomes `webhookTimeoutSeconds`. Default: 5. */
  webhook_timeout_seconds?: number | null
  /** Seal the webhook URL into each link; becomes `includeWebhookUrl`. Default: false. */
  include_webhook_url?: boolean | null
  /** The absolute http(s) URL open links start with; becomes `baseOpenTrackingUrl`. */
  base_open_tracking_url?: string | null
  /** The absolute http(s) URL click links start with; becomes `baseClickTrackingUrl`. */
  base_click_tracking_url?: string | null
  /** Metadata every result carries; becomes `defaultMetadata`. Default: none. */
  default_metadata?: Metadata | null
  /** Seal the default metadata into each link; becomes `includeDefaultMetadata`. Default: false. */
  include_default_metadata?: boolean | null
  /**
   * pytracking's Fernet key (URL-safe base64): links are encrypted with it. Needs `@pytrack/crypto`
   * imported, or a `codec` given to `fromPytracking`. Default: none (plain base64 links).
   */
  encryption_bytestring_key?: string | null
  /** The text encoding: only UTF-8 (`utf-8` or `utf8`, any case), pytracking's default. */
  encoding?: string | null
  /** End every link with `/` (for Django routes); becomes `appendSlash`. Default: false. */
  append_slash?: boolean | null
  [key: string]: unknown
}

/**
 * Default for {@link ConfigurationInit.maxLinkLength}: within what every common mail client keeps intact.
 *
 * @example
 * ```ts
 * new Configuration({ maxLinkLength: DEFAULT_MAX_LINK_LENGTH * 2 }) // allow longer links
 * ```
 */
export const DEFAULT_MAX_LINK_LENGTH = 2048
/**
 * Default for {@link ConfigurationInit.webhookTimeoutSeconds}, as in pytracking.
 *
 * @example
 * ```ts
 * configuration.webhookTimeoutSeconds === DEFAULT_WEBHOOK_TIMEOUT_SECONDS // true unless set
 * ```
 */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 5

const FIELDS = [
  'webhookUrl',
  'webhookTimeoutSeconds',
  'includeWebhookUrl',
  'baseOpenTrackingUrl',
  'baseClickTrackingUrl',
  'defaultMetadata',
  'includeDefaultMetadata',
  'appendSlash',
  'codec',
  'maxLinkLength',
] as const satisfies readonly (keyof ConfigurationInit)[]

/**
 * The names of the {@link Configuration} fields, which per-call options may override.
 *
 * @example
 * ```ts
 * const overrides = Object.fromEntries(CONFIGURATION_FIELDS.filter((f) => f in options).map((f) => [f, options[f]]))
 * ```
 */
export const CONFIGURATION_FIELDS: readonly (keyof ConfigurationInit)[] = FIELDS

function httpUrl(name: string, value: unknown, base: boolean): string | null {
  if (value === null || value === undefined) return null
  // Base URLs are public (every email shows them); a webhook URL often holds a token in its
  // path or query (Slack, Discord, Zapier), so messages never repeat it.
  parseHttpUrl(value, name, { example: base ? 'https://track.example.com/open/' : 'https://hooks.example.com/pytrack', secret: !base })
  const url = value as string
  if (!base) return url
  if (url.includes('?') || url.includes('#')) {
    throw new ConfigurationError(
      `${name} must not have a query or fragment, since the link's token is appended to it; got "${url}"`,
      { setting: name },
    )
  }
  // Python's urljoin lower-cases the scheme; keep the rest exactly as given. A missing final
  // slash is added: urljoin would otherwise replace the last path segment with the token.
  const colon = url.indexOf(':')
  const normalised = url.slice(0, colon).toLowerCase() + url.slice(colon)
  return normalised.endsWith('/') ? normalised : `${normalised}/`
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'boolean') throw new ConfigurationError(`${name} must be true or false, not ${describeValue(value)}`, { setting: name })
  return value
}

function positiveNumber(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigurationError(`${name} must be a finite number of at least ${min}; got ${describeValue(value)}`, { setting: name })
  }
  return value
}

/** Reads the fields of a settings object once, so a throwing getter or Proxy trap gives a ConfigurationError. */
function readFields(init: object, what: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  try {
    for (const field of FIELDS) fields[field] = (init as Record<string, unknown>)[field]
  } catch (error) {
    throw new ConfigurationError(`${what} could not be read: a getter or a Proxy trap threw (see the cause)`, { cause: error })
  }
  return fields
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}

// The frozen copies metadataObject made: with() passes them on unchanged, so per-call overrides
// (pytracking's kwargs) do not serialise and copy the default metadata again on every link.
const checkedMetadata = new WeakSet<object>()

function metadataObject(value: unknown): Readonly<Record<string, JsonValue>> | null {
  if (value === undefined || value === null) return null
  if (checkedMetadata.has(value as object)) return value as Readonly<Record<string, JsonValue>>
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(`defaultMetadata must be a plain object of JSON values, not ${describeValue(value)}`, {
      setting: 'defaultMetadata',
    })
  }
  // Validates (with the same rules as link metadata) and takes a private, frozen copy.
  let json: string
  try {
    json = toPythonJsonFrom(value, 'defaultMetadata')
  } catch (error) {
    throw new ConfigurationError(`defaultMetadata is not valid: ${(error as Error).message}`, { cause: error, setting: 'defaultMetadata' })
  }
  const copy = deepFreeze(JSON.parse(json) as Record<string, JsonValue>)
  checkedMetadata.add(copy)
  return copy
}

function codecOf(value: unknown): Codec {
  if (value === undefined || value === null) return base64Codec
  const codec = value as Partial<Codec>
  if (typeof codec !== 'object' || typeof codec.seal !== 'function' || typeof codec.open !== 'function') {
    throw new ConfigurationError('codec must be an object with seal(payload) and open(token) functions, such as base64Codec or fernetCodec(key)', {
      setting: 'codec',
    })
  }
  return value as Codec
}

// On the prototype, under a registered symbol: shared by every copy of the package, free per instance.
const CONFIGURATION_BRAND = Symbol.for('@pytrack/core/configuration')

/** `instanceof Configuration` without the `Symbol.hasInstance` protocol (cheaper on the hot path). */
export function isConfiguration(value: unknown): value is Configuration {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONFIGURATION_BRAND] === true
}

/**
 * How links are made and read: base URLs, webhook, default metadata and the codec that seals
 * the payload. Immutable; every field is checked when it is built. Functions take it as
 * `options.configuration`, and any field given next to it overrides it for that call, as
 * pytracking's kwargs do.
 *
 * @example
 * ```ts
 * const configuration = new Configuration({
 *   baseOpenTrackingUrl: 'https://t.example.com/open/',
 *   baseClickTrackingUrl: 'https://t.example.com/click/',
 *   defaultMetadata: { app: 'newsletter' },
 * })
 * const url = getClickTrackingUrl('https://example.com/', { customer_id: 1 }, { configuration })
 * ```
 */
export class Configuration {
  /** The webhook to notify of tracking events; null when none. Default: none. */
  readonly webhookUrl: string | null
  /** How long a webhook delivery may take, in seconds. Default: 5. */
  readonly webhookTimeoutSeconds: number
  /** Seal `webhookUrl` into each link; decoding then reads it from the link. Default: false. */
  readonly includeWebhookUrl: boolean
  /** The open base URL as links use it: scheme lower-cased, ending in `/`. */
  readonly baseOpenTrackingUrl: string | null
  /** The click base URL as links use it: scheme lower-cased, ending in `/`. */
  readonly baseClickTrackingUrl: string | null
  /** Metadata every result carries, as a frozen copy; null when none. Default: none. */
  readonly defaultMetadata: Readonly<Record<string, JsonValue>> | null
  /** Seal `defaultMetadata` into each link instead of adding it when decoding. Default: false. */
  readonly includeDefaultMetadata: boolean
  /** End every link with `/` (pytracking's `append_slash`, for Django routes). Default: false. */
  readonly appendSlash: boolean
  /** How the payload is sealed. Default: {@link base64Codec}, pytracking's plain base64. */
  readonly codec: Codec
  /** The longest link to make or accept, in characters. Default: 2048. */
  readonly maxLinkLength: number

  constructor(settings: ConfigurationInit = {}) {
    if (typeof settings !== 'object' || settings === null) {
      throw new ConfigurationError('Configuration takes an object of settings, such as { baseOpenTrackingUrl }')
    }
    const init = readFields(settings, 'the Configuration settings') as ConfigurationInit
    this.webhookUrl = httpUrl('webhookUrl', init.webhookUrl, false)
    this.webhookTimeoutSeconds = positiveNumber(
      'webhookTimeoutSeconds',
      init.webhookTimeoutSeconds,
      DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
      0.001,
    )
    this.includeWebhookUrl = bool('includeWebhookUrl', init.includeWebhookUrl, false)
    this.baseOpenTrackingUrl = httpUrl('baseOpenTrackingUrl', init.baseOpenTrackingUrl, true)
    this.baseClickTrackingUrl = httpUrl('baseClickTrackingUrl', init.baseClickTrackingUrl, true)
    this.defaultMetadata = metadataObject(init.defaultMetadata)
    this.includeDefaultMetadata = bool('includeDefaultMetadata', init.includeDefaultMetadata, false)
    this.appendSlash = bool('appendSlash', init.appendSlash, false)
    this.codec = codecOf(init.codec)
    this.maxLinkLength = positiveNumber('maxLinkLength', init.maxLinkLength, DEFAULT_MAX_LINK_LENGTH, 64)
    Object.freeze(this)
  }

  /**
   * `instanceof Configuration` also holds for a configuration made by another copy of this
   * package (its ESM and CJS builds, or two installed versions), which `instanceof` alone misses.
   *
   * @example
   * ```ts
   * configurationFromCjs instanceof Configuration // true
   * ```
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isConfiguration(value)
  }

  /**
   * A copy with some fields replaced. `undefined` leaves a field as it is; `null` clears it.
   *
   * @example
   * ```ts
   * const withWebhook = configuration.with({ webhookUrl: 'https://hooks.example.com/t', includeWebhookUrl: true })
   * ```
   */
  with(overrides: ConfigurationInit): Configuration {
    if (typeof overrides !== 'object' || overrides === null) {
      throw new ConfigurationError('with() takes an object of the fields to replace, such as { webhookUrl }')
    }
    const init = readFields(overrides, 'the overrides')
    for (const field of FIELDS) {
      if (init[field] === undefined) init[field] = this[field]
    }
    return new Configuration(init as ConfigurationInit)
  }

  /**
   * Builds a configuration from pytracking's snake_case settings (a Django project's
   * `PYTRACKING_CONFIGURATION`), unchanged. Unknown keys are ignored, as pytracking does.
   * `encryption_bytestring_key` needs `@pytrack/crypto` imported (it registers Fernet), or a
   * `codec` given here.
   *
   * @example
   * ```ts
   * import '@pytrack/crypto'
   * const configuration = Configuration.fromPytracking(JSON.parse(settingsJson))
   * ```
   */
  static fromPytracking(settings: PytrackingSettings, options: { codec?: Codec } = {}): Configuration {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw new ConfigurationError('fromPytracking takes pytracking settings as an object (PYTRACKING_CONFIGURATION)')
    }
    const encoding = settings.encoding
    if (encoding !== undefined && encoding !== null && (typeof encoding !== 'string' || !/^utf-?8$/i.test(encoding))) {
      throw new ConfigurationError(
        `encoding ${typeof encoding === 'string' ? `"${encoding}"` : `(${typeof encoding})`} is not supported: pytrack links are UTF-8, as pytracking's default`,
        { setting: 'encoding' },
      )
    }
    let codec = options.codec
    const key = settings.encryption_bytestring_key
    if (codec === undefined && key !== undefined && key !== null && key !== '') {
      if (typeof key !== 'string') {
        throw new ConfigurationError('encryption_bytestring_key must be a string (the Fernet key, URL-safe base64)', {
          setting: 'encryption_bytestring_key',
        })
      }
      const factory = getKeyCodecFactory()
      if (!factory) {
        throw new ConfigurationError(
          "encryption_bytestring_key needs Fernet: install @pytrack/crypto and import it once (import '@pytrack/crypto'), or pass { codec: fernetCodec(key) }",
          { setting: 'encryption_bytestring_key' },
        )
      }
      try {
        codec = factory(key)
      } catch (error) {
        if (isPytrackError(error)) throw error
        throw new ConfigurationError('encryption_bytestring_key could not be turned into a codec (see the cause)', {
          cause: error,
          setting: 'encryption_bytestring_key',
        })
      }
    }
    try {
      return new Configuration({
        webhookUrl: settings.webhook_url,
        webhookTimeoutSeconds: settings.webhook_timeout_seconds ?? undefined,
        includeWebhookUrl: settings.include_webhook_url ?? undefined,
        baseOpenTrackingUrl: settings.base_open_tracking_url,
        baseClickTrackingUrl: settings.base_click_tracking_url,
        defaultMetadata: settings.default_metadata,
        includeDefaultMetadata: settings.include_default_metadata ?? undefined,
        appendSlash: settings.append_slash ?? undefined,
        codec,
      })
    } catch (error) {
      // Name the key the caller wrote: base_open_tracking_url, not baseOpenTrackingUrl.
      if (!isPytrackError(error, 'ERR_PYTRACK_CONFIGURATION')) throw error
      const setting = error.setting
      if (setting === undefined || (setting === 'codec' && options.codec !== undefined)) throw error
      const key = setting === 'codec' ? 'encryption_bytestring_key' : setting.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
      throw new ConfigurationError(error.message.replaceAll(setting, key), { cause: error, setting: key })
    }
  }
}

Object.defineProperty(Configuration.prototype, CONFIGURATION_BRAND, { value: true })
