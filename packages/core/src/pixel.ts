// pytracking's TRACKING_PIXEL: a 1x1 transparent PNG, 68 bytes.
const PIXEL_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='
const PIXEL = Uint8Array.from(atob(PIXEL_BASE64), (c) => c.charCodeAt(0))

/**
 * The MIME type of the open tracking pixel.
 *
 * @example
 * ```ts
 * response.setHeader('content-type', PIXEL_MIME_TYPE) // 'image/png'
 * ```
 */
export const PIXEL_MIME_TYPE = 'image/png'

/**
 * The open tracking pixel and its MIME type, as pytracking's `get_open_tracking_pixel()`:
 * a 68-byte transparent 1x1 PNG and `image/png`. Each call returns a fresh copy of the bytes.
 *
 * @example
 * ```ts
 * const [pixel, mimeType] = getOpenTrackingPixel()
 * return new Response(pixel, { headers: { 'content-type': mimeType } })
 * ```
 */
export function getOpenTrackingPixel(): [pixel: Uint8Array, mimeType: 'image/png'] {
  return [PIXEL.slice(), PIXEL_MIME_TYPE]
}
