// The tracking handler each runtime serves in runtimes.test.ts, from the built @pytrack/http:
// the Web handler itself, or a Hono app with the Hono adapter mounted at /t. Every hook call is
// handed to `emit` as a JSON-able message.
import { Configuration } from '@pytrack/core'
import { createTrackingHandler, type TrackingHandler, type TrackingHandlerOptions } from '@pytrack/http'
import { createHonoApp } from '@pytrack/http/hono'
import { Hono, type Context } from 'hono'

export type Message = Record<string, unknown>

/** What the runtime serves: the Web handler, or Hono with the adapter. */
export type Flavour = 'web' | 'hono'

/** Where the Hono app mounts the tracking routes. */
export const HONO_PREFIX = '/t'

function optionsFor(emit: (message: Message) => void): TrackingHandlerOptions {
  return {
    configuration: new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' }),
    allowedDestinations: ['www.example.com'],
    onTrackingEvent: (result, request) => emit({ event: result.toJSON(), method: request.method }),
    onDecodingError: (error) => emit({ decodingError: error.code, name: error.name }),
    onHookError: (error) => emit({ hookError: String(error) }),
  }
}

export function createApp(emit: (message: Message) => void): TrackingHandler {
  return createTrackingHandler(optionsFor(emit))
}

/** A Hono app serving the tracking routes under {@link HONO_PREFIX}; `remoteAddress` is the platform's getConnInfo. */
export function createHonoTrackingApp(emit: (message: Message) => void, remoteAddress: (c: Context) => string | undefined): Hono {
  return new Hono().route(HONO_PREFIX, createHonoApp(optionsFor(emit), { remoteAddress }))
}
