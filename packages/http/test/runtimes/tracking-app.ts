// The tracking handler each runtime serves in runtimes.test.ts, from the built @pytrack/http:
// every hook call is handed to `emit` as a JSON-able message.
import { Configuration } from '@pytrack/core'
import { createTrackingHandler, type TrackingHandler } from '@pytrack/http'

export type Message = Record<string, unknown>

export function createApp(emit: (message: Message) => void): TrackingHandler {
  return createTrackingHandler({
    configuration: new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' }),
    allowedDestinations: ['www.example.com'],
    onTrackingEvent: (result, request) => emit({ event: result.toJSON(), method: request.method }),
    onDecodingError: (error) => emit({ decodingError: error.code, name: error.name }),
    onHookError: (error) => emit({ hookError: String(error) }),
  })
}
