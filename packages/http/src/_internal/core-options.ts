// Option checking: every option of createTrackingHandler read and checked once, at creation,
// into the values the handler uses on each hit. A wrong option is a ConfigurationError naming it.
import { Configuration, ConfigurationError, describeValue, type PytrackError, type TrackingResult } from '@pytrack/core'
import type { TrackingContext, TrackingHandlerOptions } from '../tracking-handler'
import { createClassifier, type Classifier } from './classifier'
import type { ForwardedHeader } from './client-ip'
import { createLocationResolver, type Destination } from './destination'
import { compileRanges, type RangeTest } from './ip'

export type EventHook = (result: TrackingResult, request: Request, context: TrackingContext) => unknown
export type ErrorHook = (error: PytrackError, request: Request, context: TrackingContext) => unknown

/** The options as the handler uses them. */
export interface CoreOptions {
  readonly configuration: Configuration
  /** The prefix without its trailing slash (`/t`), or undefined for routes under any prefix. */
  readonly prefix: string | undefined
  /** The route names, such as `open` and `click` (one or more path segments each). */
  readonly openRoute: string
  readonly clickRoute: string
  readonly recordEvent: EventHook | undefined
  readonly onTrackingEvent: EventHook | undefined
  readonly onDecodingError: ErrorHook | undefined
  readonly onHookError: (error: unknown) => unknown
  /** Whether an address is a trusted proxy; undefined when none is. */
  readonly isTrusted: RangeTest | undefined
  readonly forwardedHeader: ForwardedHeader
  /** The Location for a click's destination, or a throw when it is refused. */
  readonly locationFor: (destination: string) => Destination
  readonly classify: Classifier | undefined
  readonly maxPathLength: number
}

const ROUTE = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/

function routeName(name: unknown, fallback: string, which: string): string {
  if (name === undefined) return fallback
  if (typeof name !== 'string' || !ROUTE.test(name)) {
    throw new ConfigurationError(`routes.${which} must be one or more path segments such as "${fallback}" or "t/${fallback}", without leading or trailing "/"`, { setting: 'routes' })
  }
  return name
}

function prefixOf(prefix: unknown): string | undefined {
  if (prefix === undefined) return undefined
  if (typeof prefix !== 'string' || /[?#\s]/.test(prefix)) {
    throw new ConfigurationError('prefix must be a path such as "/t" (no query, fragment or spaces)', { setting: 'prefix' })
  }
  let value = prefix.replace(/\/+$/, '')
  if (value !== '' && !value.startsWith('/')) value = `/${value}`
  return value
}

function configurationOf(value: TrackingHandlerOptions['configuration']): Configuration {
  if (value === undefined) return new Configuration()
  if (value instanceof Configuration) return value
  if (typeof value !== 'object' || value === null) {
    throw new ConfigurationError('configuration must be a Configuration or an object of its fields, such as { baseClickTrackingUrl }', { setting: 'configuration' })
  }
  return new Configuration(value)
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(`${name} must be a function`, { setting: name })
  return value
}

function trustedProxiesOf(value: unknown): RangeTest | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) {
    throw new ConfigurationError('trustedProxies must be an array such as ["loopback", "10.0.0.0/8"]', { setting: 'trustedProxies' })
  }
  const compiled = compileRanges(value)
  if (typeof compiled === 'string') {
    throw new ConfigurationError(`trustedProxies entry "${compiled}" is not an IP address, a CIDR range or one of loopback, private, linklocal, uniquelocal`, { setting: 'trustedProxies' })
  }
  return value.length > 0 ? compiled : undefined
}

function classifierOf(classification: unknown): Classifier | undefined {
  if (classification === undefined || classification === true) return createClassifier()
  if (classification === false) return undefined
  if (typeof classification === 'object' && classification !== null) return createClassifier(classification)
  throw new ConfigurationError('classification must be true, false or an object of address ranges', { setting: 'classification' })
}

function defaultHookError(error: unknown): void {
  console.error('@pytrack/http: a tracking hook failed (pass onHookError to handle this):', error)
}

/** Reads and checks the options of createTrackingHandler; throws ConfigurationError naming the wrong one. */
export function checkCoreOptions(options: TrackingHandlerOptions): CoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createTrackingHandler takes an object of options, such as { configuration }')
  }
  const configuration = configurationOf(options.configuration)
  const routes = options.routes ?? {}
  const openRoute = routeName(routes.open, 'open', 'open')
  const clickRoute = routeName(routes.click, 'click', 'click')
  if (openRoute === clickRoute) throw new ConfigurationError('routes.open and routes.click must differ', { setting: 'routes' })
  const prefix = prefixOf(options.prefix)

  const recordEvent = optionalFunction('recordEvent', options.recordEvent)
  const onTrackingEvent = optionalFunction('onTrackingEvent', options.onTrackingEvent)
  const onDecodingError = optionalFunction('onDecodingError', options.onDecodingError)
  const onHookError = optionalFunction('onHookError', options.onHookError) ?? defaultHookError

  const isTrusted = trustedProxiesOf(options.trustedProxies)
  const forwardedHeader: ForwardedHeader = options.forwardedHeader ?? 'x-forwarded-for'
  if (forwardedHeader !== 'x-forwarded-for' && forwardedHeader !== 'forwarded') {
    throw new ConfigurationError('forwardedHeader must be "x-forwarded-for" or "forwarded"', { setting: 'forwardedHeader' })
  }

  const trustUnauthenticated = options.trustUnauthenticatedLinks ?? false
  if (typeof trustUnauthenticated !== 'boolean') throw new ConfigurationError('trustUnauthenticatedLinks must be true or false', { setting: 'trustUnauthenticatedLinks' })
  const locationFor = createLocationResolver(trustUnauthenticated || configuration.codec.authenticated === true, options.allowedDestinations)

  const classify = classifierOf(options.classification)

  const maxPathLength = options.maxPathLength ?? configuration.maxLinkLength * 2
  if (typeof maxPathLength !== 'number' || !Number.isInteger(maxPathLength) || maxPathLength < 16) {
    throw new ConfigurationError(`maxPathLength must be a whole number of characters, at least 16; got ${describeValue(maxPathLength)}`, { setting: 'maxPathLength' })
  }

  return {
    configuration,
    prefix,
    openRoute,
    clickRoute,
    recordEvent,
    onTrackingEvent,
    onDecodingError,
    onHookError,
    isTrusted,
    forwardedHeader,
    locationFor,
    classify,
    maxPathLength,
  }
}
