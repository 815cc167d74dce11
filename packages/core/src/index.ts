export { Configuration, CONFIGURATION_FIELDS, DEFAULT_MAX_LINK_LENGTH, DEFAULT_WEBHOOK_TIMEOUT_SECONDS } from './configuration'
export type { ConfigurationInit, JsonValue, Metadata, PytrackingSettings } from './configuration'
export { base64Codec, registerKeyCodecFactory, getKeyCodecFactory } from './codec'
export type { Codec, KeyCodecFactory } from './codec'
export {
  getOpenTrackingUrl,
  getClickTrackingUrl,
  getOpenTrackingResult,
  getClickTrackingResult,
  getOpenTrackingUrlPath,
  getClickTrackingUrlPath,
  resolveConfiguration,
} from './tracking'
export type { TrackingOptions, DecodeOptions } from './tracking'
export { parseClickDestination } from './click-destination'
export { describeValue, parseHttpOrigin, parseHttpUrl } from './option-rules'
export type { HttpUrlOptions } from './option-rules'
export type { ClickDestination } from './click-destination'
export { TrackingResult } from './tracking-result'
export type { RequestData, TrackingResultInit, TrackingResultJson } from './tracking-result'
export { getOpenTrackingPixel, PIXEL_MIME_TYPE } from './pixel'
export { DO_NOT_TRACK_KEY, isDoNotTrack } from './do-not-track'
export { toPythonJson } from './_internal/python-json'
export { PytrackError, isPytrackError } from './errors/pytrack-error'
export type { PytrackErrorInit, PytrackErrorOptions } from './errors/pytrack-error'
export type { PytrackErrorCode, PytrackErrorCodes } from './errors/codes'
export { ConfigurationError } from './errors/configuration-error'
export type { ConfigurationErrorOptions } from './errors/configuration-error'
export { InvalidArgumentError } from './errors/invalid-argument-error'
export { MetadataError } from './errors/metadata-error'
export type { MetadataErrorOptions } from './errors/metadata-error'
export { LinkTooLongError } from './errors/link-too-long-error'
export type { LinkTooLongErrorOptions } from './errors/link-too-long-error'
export { InvalidLinkError } from './errors/invalid-link-error'
export { InvalidDestinationError } from './errors/invalid-destination-error'
export type { InvalidDestinationErrorOptions, InvalidDestinationReason } from './errors/invalid-destination-error'
