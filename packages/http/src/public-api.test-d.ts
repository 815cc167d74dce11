// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Configuration, PytrackError, TrackingResult, isPytrackError, type PytrackErrorCode } from '@pytrack/core'
import type { FastifyPluginAsync } from 'fastify'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { expectTypeOf } from 'vitest'
import {
  RedirectRefusedError,
  classifyClient,
  createTrackingHandler,
  type AllowedDestinations,
  type ClientClassification,
  type ClientKind,
  type ForwardedHeader,
  type RedirectRefusalReason,
  type TrackingContext,
  type TrackingHandler,
  type TrackingHandlerOptions,
} from '@pytrack/http'
import { createExpressHandler, toExpressHandler, type ExpressHandler } from '@pytrack/http/express'
import { createFastifyPlugin, toFastifyPlugin } from '@pytrack/http/fastify'
import { createHonoApp, createHonoHandler, toHonoHandler, type HonoAdapterOptions } from '@pytrack/http/hono'
import { createNodeHandler, toNodeHandler, type NodeHandler } from '@pytrack/http/node'

// The Web handler: Request in, Response out.
const handler = createTrackingHandler({ configuration: { baseClickTrackingUrl: 'https://t.example.com/c/' } })
expectTypeOf(handler).toEqualTypeOf<TrackingHandler>()
expectTypeOf<TrackingHandler>().toEqualTypeOf<(request: Request, context?: TrackingContext) => Promise<Response>>()
expectTypeOf(handler(new Request('https://t.example.com/open/e30='), { remoteAddress: '192.0.2.1' })).resolves.toEqualTypeOf<Response>()
expectTypeOf<{ remoteAddress: string | null; waitUntil: (promise: Promise<unknown>) => void; c: unknown }>().toExtend<TrackingContext>()
// @ts-expect-error: remoteAddress is a string
handler(new Request('https://t.example.com/'), { remoteAddress: 127001 })
// @ts-expect-error: a Request, not a URL string
handler('https://t.example.com/open/e30=')

// Options: a Configuration or its fields; hooks typed with the result, the request and the context.
expectTypeOf<TrackingHandlerOptions['configuration']>().toEqualTypeOf<Configuration | import('@pytrack/core').ConfigurationInit | undefined>()
const options: TrackingHandlerOptions = {
  configuration: new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/' }),
  prefix: '/t',
  routes: { open: 'o', click: 'c' },
  trustedProxies: ['loopback', '10.0.0.0/8'],
  forwardedHeader: 'forwarded',
  allowedDestinations: (destination) => destination.hostname.endsWith('.example.com'),
  recordEvent: async (result, request, context) => {
    expectTypeOf(result).toEqualTypeOf<TrackingResult>()
    expectTypeOf(request).toEqualTypeOf<Request>()
    expectTypeOf(context).toEqualTypeOf<TrackingContext>()
  },
  onTrackingEvent: (result) => result.toJSON(),
  onDecodingError: (error) => {
    expectTypeOf(error).toEqualTypeOf<PytrackError>()
    expectTypeOf(error.code).toEqualTypeOf<PytrackErrorCode>()
  },
  onHookError: (error) => expectTypeOf(error).toBeUnknown(),
  classification: { scannerRanges: ['198.51.100.0/24'] },
}
expectTypeOf<readonly string[]>().toExtend<AllowedDestinations>()
expectTypeOf<ForwardedHeader>().toEqualTypeOf<'x-forwarded-for' | 'forwarded'>()
// @ts-expect-error: only the two forwarding headers are known
createTrackingHandler({ forwardedHeader: 'x-real-ip' })
// @ts-expect-error: allowedDestinations is a list or a function of a URL
createTrackingHandler({ allowedDestinations: 'www.example.com' })

// Client classification.
const label = classifyClient({ method: 'GET', userAgent: null, accept: null, acceptLanguage: null, ip: '17.58.0.1' })
expectTypeOf(label).toEqualTypeOf<ClientClassification>()
expectTypeOf(label.kind).toEqualTypeOf<ClientKind>()
expectTypeOf<'human' | 'mail-proxy' | 'privacy-prefetch' | 'scanner' | 'preview-bot'>().toEqualTypeOf<ClientKind>()
expectTypeOf<RedirectRefusedError>().toExtend<PytrackError>()
expectTypeOf<RedirectRefusedError['reason']>().toEqualTypeOf<RedirectRefusalReason>()
declare const caught: unknown
if (isPytrackError(caught, 'ERR_PYTRACK_REDIRECT_REFUSED')) expectTypeOf(caught.reason).toEqualTypeOf<RedirectRefusalReason>()

// Adapters: each converts a TrackingHandler, or makes one from the same options.
expectTypeOf(toNodeHandler(handler)).toEqualTypeOf<NodeHandler>()
expectTypeOf(createNodeHandler(options)).toEqualTypeOf<NodeHandler>()
expectTypeOf<NodeHandler>().toEqualTypeOf<(req: IncomingMessage, res: ServerResponse) => void>()
expectTypeOf(toExpressHandler(handler)).toEqualTypeOf<ExpressHandler>()
expectTypeOf(createExpressHandler(options)).toEqualTypeOf<ExpressHandler>()
expectTypeOf<ExpressHandler>().parameter(2).toEqualTypeOf<(error?: unknown) => void>()
expectTypeOf(toFastifyPlugin(handler)).toEqualTypeOf<FastifyPluginAsync>()
expectTypeOf(createFastifyPlugin(options)).toEqualTypeOf<FastifyPluginAsync>()
expectTypeOf(toHonoHandler(handler, { remoteAddress: (c) => c.req.header('x-real-ip') })).toEqualTypeOf<MiddlewareHandler>()
expectTypeOf(createHonoHandler(options)).toEqualTypeOf<MiddlewareHandler>()
expectTypeOf(createHonoApp(options)).toEqualTypeOf<Hono>()
expectTypeOf<NonNullable<HonoAdapterOptions['remoteAddress']>>().toEqualTypeOf<(c: Context) => string | null | undefined>()
// @ts-expect-error: adapters wrap a Web handler, not its options
toNodeHandler(options)
// @ts-expect-error: a node handler is not Express middleware's third argument
createNodeHandler(options)(null as unknown as IncomingMessage, null as unknown as ServerResponse, () => undefined)
