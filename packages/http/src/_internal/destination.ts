import {
  ConfigurationError,
  isPytrackError,
  parseClickDestination,
  parseHttpOrigin,
  type ClickDestination,
} from '@pytrack/core'
import { RedirectRefusedError } from '../errors/redirect-refused-error'
import type { CoreResponse } from './core'

/**
 * Which destinations an unauthenticated click link may redirect to: host names, `*.suffix`,
 * origins, or a function.
 *
 * @example
 * ```ts
 * const allowed: AllowedDestinations = ['www.example.com', '*.example.org', 'https://shop.example.net']
 * ```
 */
export type AllowedDestinations = readonly string[] | ((destination: URL) => boolean)

const CACHE_SIZE = 2048

/**
 * Makes the function that turns a click link's destination into the `Location` header value,
 * or throws {@link RedirectRefusedError}. `//host/path` (which pytracking tracks as given)
 * becomes `https://host/path`. A campaign's links share a few destinations, so parsed ones
 * are cached (a bounded map, emptied when full); your function always gets a fresh URL.
 */
export function createLocationResolver(
  authenticated: boolean,
  allowed: AllowedDestinations | undefined,
): (destination: string) => Destination {
  const isAllowed = compileAllowedDestinations(allowed)
  // The built-in check is pure, so its answer is cached with the parsed URL; a function is asked each time.
  const pureCheck = Array.isArray(allowed)
  const cache = new Map<string, Destination>()
  return (destination) => {
    let entry = cache.get(destination)
    if (entry === undefined) {
      const { location, url } = parse(destination)
      entry = { location, url, allowed: authenticated || (pureCheck && isAllowed !== undefined && isAllowed(url)), response: undefined }
      if (cache.size >= CACHE_SIZE) cache.clear()
      cache.set(destination, entry)
    }
    if (entry.allowed) return entry
    let ok = false
    if (!pureCheck && isAllowed !== undefined) {
      try {
        ok = isAllowed(new URL(entry.location)) === true
      } catch (error) {
        throw new RedirectRefusedError(
          'allowedDestinations threw while checking a click link destination',
          { reason: 'not-allowed', cause: error, },
        )
      }
    }
    if (!ok) {
      throw new RedirectRefusedError(
        'the click link was sealed by a codec anyone can forge (plain base64) and its destination is not in allowedDestinations; add the destination host, or use an authenticated codec from @pytrack/crypto',
        { reason: 'not-allowed' },
      )
    }
    return entry
  }
}

/** A parsed destination; `response` is the redirect, made once by the core and reused. */
export interface Destination {
  readonly location: string
  readonly url: URL
  readonly allowed: boolean
  response: CoreResponse | undefined
}

/** The core's click destination rule, its refusal as the handler's error. */
function parse(destination: string): ClickDestination {
  try {
    return parseClickDestination(destination)
  } catch (error) {
    if (!isPytrackError(error, 'ERR_PYTRACK_INVALID_DESTINATION')) throw error
    const { message, reason } = error
    throw new RedirectRefusedError(`${message}, so the handler does not redirect to it`, { reason, cause: error })
  }
}

function hostnameOf(text: string, entry: string): string {
  try {
    const url = new URL(`http://${text}/`)
    if (url.port !== '' || url.username !== '' || url.pathname !== '/' || `${url.host}` === '') throw new Error('host only')
    return url.hostname
  } catch {
    throw new ConfigurationError(
      `allowedDestinations entry "${entry}" is not a host name, "*.host" or an origin such as https://shop.example.com`,
      { setting: 'allowedDestinations' },
    )
  }
}

/** Compiles `allowedDestinations` (origins, host names, `*.suffix`, or a function) into a test. */
function compileAllowedDestinations(allowed: AllowedDestinations | undefined): ((url: URL) => boolean) | undefined {
  if (allowed === undefined) return undefined
  if (typeof allowed === 'function') return allowed
  if (!Array.isArray(allowed)) {
    throw new ConfigurationError('allowedDestinations must be an array of hosts or origins, or a function (url) => boolean', {
      setting: 'allowedDestinations',
    })
  }
  const origins = new Set<string>()
  const hosts = new Set<string>()
  const suffixes: string[] = []
  for (const [i, entry] of (allowed as readonly unknown[]).entries()) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw new ConfigurationError('allowedDestinations entries must be non-empty strings such as "shop.example.com"', {
        setting: 'allowedDestinations',
      })
    }
    if (entry.includes('://')) {
      origins.add(parseHttpOrigin(entry, `allowedDestinations[${i}]`, { setting: 'allowedDestinations', example: 'https://shop.example.com' }))
    } else if (entry.startsWith('*.')) {
      suffixes.push(`.${hostnameOf(entry.slice(2), entry)}`)
    } else {
      hosts.add(hostnameOf(entry, entry))
    }
  }
  return (url: URL): boolean => {
    if (origins.has(url.origin) || hosts.has(url.hostname)) return true
    for (const suffix of suffixes) if (url.hostname.endsWith(suffix)) return true
    return false
  }
}
