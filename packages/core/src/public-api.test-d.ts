// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { expectTypeOf } from 'vitest'
import {
  Configuration,
  ConfigurationError,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingPixel,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  getOpenTrackingUrlPath,
  InvalidLinkError,
  isPytrackError,
  LinkTooLongError,
  MetadataError,
  PytrackError,
  TrackingResult,
  base64Codec,
  describeValue,
  parseHttpOrigin,
  parseHttpUrl,
  resolveConfiguration,
  registerKeyCodecFactory,
  toPythonJson,
  type Codec,
  type ConfigurationInit,
  type DecodeOptions,
  type HttpUrlOptions,
  type JsonValue,
  type Metadata,
  type PytrackErrorCode,
  type PytrackErrorCodes,
  type PytrackingSettings,
  type RequestData,
  type TrackingOptions,
  type TrackingResultJson,
} from '@pytrack/core'

const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })

// Options: a Configuration, its fields as overrides, or both.
expectTypeOf<TrackingOptions>().toExtend<ConfigurationInit>()
expectTypeOf<{ configuration: Configuration; appendSlash: true }>().toExtend<TrackingOptions>()
expectTypeOf<DecodeOptions>().toExtend<TrackingOptions>()
expectTypeOf<DecodeOptions['requestData']>().toEqualTypeOf<RequestData | null | undefined>()
expectTypeOf(configuration.with).parameter(0).toEqualTypeOf<ConfigurationInit>()
expectTypeOf(configuration.with({ appendSlash: true })).toEqualTypeOf<Configuration>()
expectTypeOf(Configuration.fromPytracking).parameter(0).toEqualTypeOf<PytrackingSettings>()
expectTypeOf(configuration.baseClickTrackingUrl).toEqualTypeOf<string | null>()
expectTypeOf(configuration.codec).toEqualTypeOf<Codec>()
// @ts-expect-error: settings are camelCase; pytracking's snake_case goes through fromPytracking
new Configuration({ base_click_tracking_url: 'https://t.example.com/c/' })
// @ts-expect-error: exactOptionalPropertyTypes-proof, yet a wrong type is still refused
new Configuration({ appendSlash: 'yes' })

// Metadata is JSON: functions, symbols and bigints are refused.
expectTypeOf<{ customer_id: number; tags: string[]; nested: { ok: boolean; none: null } }>().toExtend<Metadata>()
expectTypeOf<{ send: () => void }>().not.toExtend<Metadata>()
expectTypeOf<{ big: bigint }>().not.toExtend<Metadata>()
expectTypeOf<JsonValue>().toExtend<Metadata[string]>()

// Links are strings; decoding gives a TrackingResult.
expectTypeOf(getOpenTrackingUrl({ customer_id: 1 }, { configuration })).toEqualTypeOf<string>()
expectTypeOf(getClickTrackingUrl('https://example.com/', null, { configuration })).toEqualTypeOf<string>()
expectTypeOf(getOpenTrackingUrlPath('https://t.example.com/o/e30=', { configuration })).toEqualTypeOf<string>()
expectTypeOf(getClickTrackingResult('e30=', { configuration })).toEqualTypeOf<TrackingResult>()
expectTypeOf(getOpenTrackingResult('e30=', { configuration, requestData: { user_ip: '192.0.2.1' } })).toEqualTypeOf<TrackingResult>()
// @ts-expect-error: the destination comes first, then the metadata
getClickTrackingUrl({ customer_id: 1 }, 'https://example.com/')
// @ts-expect-error: a click link needs its destination
getClickTrackingUrl()

// The result, and its pytracking-shaped JSON.
const result = getClickTrackingResult('e30=', { configuration })
expectTypeOf(result.trackedUrl).toEqualTypeOf<string | null>()
expectTypeOf(result.metadata).toEqualTypeOf<Record<string, JsonValue>>()
expectTypeOf(result.requestData).toEqualTypeOf<RequestData | null>()
expectTypeOf(result.toJSON()).toEqualTypeOf<TrackingResultJson>()
expectTypeOf<TrackingResultJson['tracked_url']>().toEqualTypeOf<string | undefined>()
expectTypeOf(TrackingResult.fromJSON).parameter(0).toBeUnknown()
expectTypeOf(TrackingResult.fromJSON({})).toEqualTypeOf<TrackingResult>()
// @ts-expect-error: results are read-only
result.trackedUrl = 'https://example.com/'

// The pixel: bytes and a literal MIME type.
expectTypeOf(getOpenTrackingPixel()).toEqualTypeOf<[pixel: Uint8Array, mimeType: 'image/png']>()

// Codecs: the interface a custom codec implements.
expectTypeOf(base64Codec).toEqualTypeOf<Codec>()
expectTypeOf<{ name: string; authenticated: boolean; seal(payload: string): string; open(token: string): string }>().toExtend<Codec>()
expectTypeOf(registerKeyCodecFactory).parameter(0).toEqualTypeOf<(key: string) => Codec>()
expectTypeOf(toPythonJson).returns.toEqualTypeOf<string>()

// Errors: a stable code from one union, and guards that narrow.
expectTypeOf<PytrackError['code']>().toEqualTypeOf<PytrackErrorCode>()
expectTypeOf<'ERR_PYTRACK_INVALID_LINK'>().toExtend<PytrackErrorCode>()
expectTypeOf<'ERR_SOMETHING_ELSE'>().not.toExtend<PytrackErrorCode>()
expectTypeOf<ConfigurationError>().toExtend<PytrackError>()
expectTypeOf<ConfigurationError['setting']>().toEqualTypeOf<string | undefined>()
expectTypeOf<InvalidLinkError>().toExtend<PytrackError>()
expectTypeOf<LinkTooLongError>().toExtend<PytrackError>()
declare const caught: unknown
if (isPytrackError(caught)) {
  expectTypeOf(caught).toEqualTypeOf<PytrackError>()
  expectTypeOf(caught.code).toEqualTypeOf<PytrackErrorCode>()
}
if (isPytrackError(caught, 'ERR_PYTRACK_LINK_TOO_LONG')) {
  // A code narrows to its class: its fields need no cast.
  expectTypeOf(caught).toEqualTypeOf<LinkTooLongError>()
  expectTypeOf(caught.maxLength).toEqualTypeOf<number>()
}
if (isPytrackError(caught, 'ERR_PYTRACK_INVALID_DESTINATION')) {
  expectTypeOf(caught.reason).toEqualTypeOf<'not-http' | 'invalid-url'>()
}
expectTypeOf<PytrackErrorCodes['ERR_PYTRACK_CONFIGURATION']>().toEqualTypeOf<ConfigurationError>()
// Codes that are never thrown are not codes.
expectTypeOf<'ERR_PYTRACK_HTML'>().not.toExtend<PytrackErrorCode>()
expectTypeOf<'ERR_PYTRACK_HANDLER'>().not.toExtend<PytrackErrorCode>()
// One constructor shape: (message, options).
new LinkTooLongError('too long', { length: 3000, maxLength: 2048 })
new MetadataError('bad', { path: 'metadata.a', cause: new Error('x') })
new PytrackError('x', { code: 'ERR_PYTRACK_INVALID_LINK' })
// @ts-expect-error: the lengths go in the options
new LinkTooLongError('too long', 3000, 2048)
// @ts-expect-error: only the codes of the union are accepted
isPytrackError(caught, 'ERR_PYTRACK_TYPO')

// The option rules other packages check their options by.
expectTypeOf(describeValue).parameter(0).toEqualTypeOf<unknown>()
expectTypeOf(describeValue(1)).toEqualTypeOf<string>()
expectTypeOf(parseHttpUrl('https://hooks.example.com/', 'webhookUrl')).toEqualTypeOf<URL>()
expectTypeOf(parseHttpUrl(null as unknown, 'webhookUrl', { setting: 'endpoints', example: 'https://a.example/', secret: true })).toEqualTypeOf<URL>()
expectTypeOf(parseHttpOrigin('https://hooks.example.com', 'allowed[0]')).toEqualTypeOf<string>()
expectTypeOf<{ secret: true }>().toExtend<HttpUrlOptions>()
// @ts-expect-error secret is a boolean
parseHttpUrl('https://a.example/', 'x', { secret: 'yes' })
// @ts-expect-error the option's name is required: messages name it
parseHttpUrl('https://a.example/')
expectTypeOf(resolveConfiguration({ configuration, appendSlash: true })).toEqualTypeOf<Configuration>()
expectTypeOf(resolveConfiguration(undefined, ['webhookUrl', 'webhookTimeoutSeconds'])).toEqualTypeOf<Configuration>()
// @ts-expect-error only Configuration fields may override
resolveConfiguration({ configuration }, ['headers'])
