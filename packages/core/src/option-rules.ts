// The rules every package checks its options by, written once: a value shown in a message, a
// configured http(s) URL, a configured origin. Each package's own option names go in `name`.
import { ConfigurationError } from './errors/configuration-error'

/**
 * How {@link parseHttpUrl} and {@link parseHttpOrigin} check and report a URL.
 *
 * @example
 * ```ts
 * const options: HttpUrlOptions = { setting: 'endpoints', example: 'https://hooks.example.com/pytrack', secret: true }
 * ```
 */
export interface HttpUrlOptions {
  /** The option to blame in {@link ConfigurationError.setting}, when not `name` itself (`endpoints` for `endpoints[2].url`). Default: `name`. */
  setting?: string | undefined
  /** A URL the message shows as an example of a good one. Default: `https://www.example.com/`. */
  example?: string | undefined
  /** The URL may hold a secret (a webhook's token in its path or query): the message never repeats it. Default: false. */
  secret?: boolean | undefined
}

/**
 * A value as an error message shows it without user data: a number or a boolean as it is,
 * `null`, `an array`, and anything else by its type (`string`, `object`, `function`), so a
 * message never repeats a string that may be a secret, and `String(value)` (which can throw) is
 * never called.
 *
 * @example
 * ```ts
 * import { ConfigurationError, describeValue } from '@pytrack/core'
 *
 * const timeout: unknown = -1
 * if (typeof timeout !== 'number' || timeout <= 0) {
 *   throw new ConfigurationError(`timeoutSeconds must be a number above 0; got ${describeValue(timeout)}`, { setting: 'timeoutSeconds' })
 * }
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  return Array.isArray(value) ? 'an array' : typeof value
}

/**
 * The one check of a configured http(s) URL (a base URL, a webhook, an endpoint, an allowed
 * origin) for every package: a string, an absolute URL, `http:` or `https:` (any case), and no
 * white space anywhere (the URL parser would drop a line break read from a file or an environment
 * variable, and a link would point elsewhere than written). Returns it parsed. Anything else
 * throws {@link ConfigurationError} naming `name`, with `options.setting` (default `name`) as its
 * `setting`; the message repeats the value unless `options.secret` says it may hold a secret.
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from '@pytrack/core'
 *
 * parseHttpUrl('https://hooks.example.com/t0ken', 'webhookUrl', { secret: true }).origin // 'https://hooks.example.com'
 * parseHttpUrl('ftp://hooks.example.com/', 'webhookUrl') // throws ConfigurationError: webhookUrl must use http or https, not "ftp:"; …
 * ```
 */
export function parseHttpUrl(value: unknown, name: string, options: HttpUrlOptions = {}): URL {
  const setting = options.setting ?? name
  const example = options.example ?? 'https://www.example.com/'
  if (typeof value !== 'string') {
    throw new ConfigurationError(`${name} must be a string URL such as ${example}, not ${describeValue(value)}`, { setting })
  }
  const got = options.secret === true ? '' : `; got "${value}"`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigurationError(`${name} must be an absolute http(s) URL such as ${example}${got}`, { setting })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // A secret's scheme is not shown either: in `xoxb-123:abc` it is the secret's first part.
    throw new ConfigurationError(`${name} must use http or https${options.secret === true ? '' : `, not "${url.protocol}"${got}`}`, { setting })
  }
  if (/\s/.test(value)) {
    throw new ConfigurationError(
      `${name} must not contain white space (check for a line break read from a file or an environment variable)${got}`,
      { setting },
    )
  }
  return url
}

/**
 * A configured origin (an allow-list entry such as `https://hooks.example.com`): a URL that
 * {@link parseHttpUrl} accepts, with nothing after its host and port (no path, query, fragment
 * or `user:password@`). Returns its origin, as `URL.origin` writes it (lower-case host in
 * punycode, no default port). Anything else throws {@link ConfigurationError}, as
 * {@link parseHttpUrl} does.
 *
 * @example
 * ```ts
 * import { parseHttpOrigin } from '@pytrack/core'
 *
 * parseHttpOrigin('HTTPS://Hooks.Example.com:443', 'allowedWebhookOrigins[0]') // 'https://hooks.example.com'
 * parseHttpOrigin('https://hooks.example.com/path', 'allowedWebhookOrigins[0]') // throws ConfigurationError
 * ```
 */
export function parseHttpOrigin(value: unknown, name: string, options: HttpUrlOptions = {}): string {
  const example = options.example ?? 'https://www.example.com'
  const url = parseHttpUrl(value, name, { ...options, example })
  // href keeps what origin drops: a path, credentials, and even a lone "?" or "#".
  if (url.href !== `${url.origin}/`) {
    throw new ConfigurationError(
      `${name} must be an origin (scheme, host and port) such as ${example}, without path, query, fragment or user:password@${options.secret === true ? '' : `; got "${value as string}"`}`,
      { setting: options.setting ?? name },
    )
  }
  return url.origin
}
