import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Configuration, isPytrackError } from '@pytrack/core'
import type { ClassificationOptions } from '@pytrack/http'
import { pino, type Logger } from 'pino'
import { SettingsError } from './errors/settings-error'
import { createAdaptPool } from './_internal/adapt-pool'
import { createApiHandler } from './_internal/api'
import { isBatchRequest, isStreamingBatch } from './_internal/batch'
import { createDashboardRoutes } from './_internal/dashboard'
import { configurationOf } from './_internal/codec'
import { limitConnections } from './_internal/connection-limits'
import { loadKeys, type LoadedKeys } from './_internal/keys'
import { openPostgresStore } from './_internal/open-store'
import { prepareDatabaseFiles } from './_internal/private-files'
import { limitRequestTime } from './_internal/request-deadline'
import { OutboxDispatcher } from './_internal/outbox-dispatcher'
import { startRetentionJob } from './_internal/retention'
import { createTrackingRoutes } from './_internal/tracking-routes'
import { isLoopbackHost, type ServerSettings } from './settings'
import type { EventStore } from './store/event-store'
import { openSqliteEventStore } from './store/sqlite-event-store'

// The tracking handler's options the server fills from an environment variable.
const VARIABLE_OF_OPTION = new Map([
  ['trustedProxies', 'PYTRACK_TRUSTED_PROXIES'],
  ['allowedDestinations', 'PYTRACK_REDIRECT_ALLOW'],
])


/**
 * Options of {@link startServer} beyond the settings.
 *
 * @example
 * ```ts
 * await startServer(settings, { logger: pino({ level: 'warn' }), store: openSqliteEventStore({ file: '/var/lib/pytrack/events.db' }) })
 * ```
 */
export interface StartServerOptions {
  /** The logger. Default: pino writing JSON lines to stdout at `settings.logLevel`. */
  logger?: Logger | undefined
  /**
   * The event store. Default: PostgreSQL when `settings.databaseUrl` is set (with
   * `@pytrack/store-postgres`), else SQLite at `<dataDir>/pytrack.db`. The server closes it on `close()`.
   */
  store?: EventStore | undefined
  /**
   * Address lists for the per-hit labels of `@pytrack/http`: `applePrivateRelayRanges` (Apple's
   * published iCloud Private Relay egress ranges: hits from them are Apple Mail Privacy
   * Protection prefetches) and `scannerRanges`. Default: none.
   */
  classification?: ClassificationOptions | undefined
  /** Machine verdicts across the hits of one email (README, "Machine verdicts"). Default: true. */
  verdicts?: boolean | undefined
  /** The server's clock, ms since the epoch: the time of each hit. Default `Date.now` (tests pass a simulated one). */
  clock?: (() => number) | undefined
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * const server: RunningServer = await startServer(settings)
 * await server.close()
 * ```
 */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:8080` (the real port when `port` was 0). */
  url: string
  /** The port it listens on: the one picked when `port` was 0. */
  port: number
  /** The settings it runs with. */
  settings: ServerSettings
  /** Where it records events and webhook deliveries: `options.store`, or SQLite at `<dataDir>/pytrack.db`. */
  store: EventStore
  /** Where it logs: `options.logger`, or pino at `settings.logLevel`. */
  logger: Logger
  /** The link configuration (base URLs, codec) the server makes and reads links with. */
  configuration: Configuration
  /**
   * Stops accepting connections, lets requests in flight finish (up to `shutdownTimeoutMs`),
   * waits for webhook deliveries in flight, then closes the store. Safe to call twice.
   */
  close(): Promise<void>
}

/** The file name of the SQLite database in the data folder. */
const DATABASE_FILE = 'pytrack.db'

/**
 * Options of {@link linkConfiguration}.
 *
 * @example
 * ```ts
 * const options: LinkConfigurationOptions = { createKey: false }
 * ```
 */
export interface LinkConfigurationOptions {
  /**
   * Create `<dataDir>/keys` when no key is configured and the file is missing. Default true
   * (what `pytrack serve` does); false makes a missing key a {@link SettingsError} saying where
   * it looked (the CLI's `encode`, `decode` and `adapt`, whose links must open on the server).
   */
  createKey?: boolean | undefined
}

/**
 * Builds the link configuration of the settings (loading or creating the keys) and says what
 * it did with the keys through `logger`. Used by `pytrack serve`, `encode` and `decode`, so
 * links made by the CLI open on the server.
 *
 * @example
 * ```ts
 * const configuration = linkConfiguration(loadSettings(), pino())
 * ```
 */
export function linkConfiguration(settings: ServerSettings, logger: Pick<Logger, 'info' | 'warn'>, options: LinkConfigurationOptions = {}): Configuration {
  return linkSetup(settings, logger, options).configuration
}

function linkSetup(
  settings: ServerSettings,
  logger: Pick<Logger, 'info' | 'warn'>,
  options: LinkConfigurationOptions = {},
): { configuration: Configuration; keys: readonly string[]; loaded: LoadedKeys } {
  const keys = loadKeys(settings, options.createKey !== false)
  if (keys.source === 'created') {
    logger.info({ file: keys.file, codec: settings.codec }, 'created a new link key (keep this file: links made with it need it)')
  }
  for (const warning of keys.warnings) logger.warn(warning)
  if (settings.codec === 'base64') {
    logger.warn('links use plain base64 (pytracking without a key): anyone can read and forge them; click links redirect only to PYTRACK_REDIRECT_ALLOW')
  }
  const configuration = configurationOf(settings, keys)
  return { configuration, keys: keys.keys, loaded: keys }
}

function openDefaultStore(settings: ServerSettings, logger: Logger): EventStore {
  const file = join(settings.dataDir, DATABASE_FILE)
  let warnings: string[]
  try {
    warnings = prepareDatabaseFiles(settings.dataDir, file)
  } catch (error) {
    throw new SettingsError(
      `cannot create the database ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the data folder is writable`,
      { setting: 'PYTRACK_DATA_DIR', cause: error },
    )
  }
  for (const warning of warnings) logger.warn(warning)
  return openSqliteEventStore({ file, synchronous: settings.synchronous })
}

/**
 * What `serve --workers` does once before forking: makes the keys (when missing), creates or
 * migrates the database and checks the key against it, so the workers start on a ready store.
 * @internal
 */
export async function prepareStore(settings: ServerSettings, logger: Logger): Promise<void> {
  const { keys } = linkSetup(settings, logger)
  const store = settings.databaseUrl === null ? openDefaultStore(settings, logger) : (await openPostgresStore(settings.databaseUrl, settings, keys)).store
  await store.close()
}

function listen(server: Server, settings: ServerSettings): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${settings.host}:${settings.port}`
      const message =
        error.code === 'EADDRINUSE'
          ? `port ${settings.port} on ${settings.host} is already in use; stop the other server or set PYTRACK_PORT`
          : error.code === 'EACCES'
            ? `not allowed to listen on ${where}; use a port above 1023 or run with the needed rights`
            : `cannot listen on ${where}: ${error.code ?? error.message}; check PYTRACK_HOST`
      reject(new SettingsError(message, { setting: error.code === 'EADDRINUSE' || error.code === 'EACCES' ? 'PYTRACK_PORT' : 'PYTRACK_HOST', cause: error }))
    }
    server.once('error', onError)
    server.listen(settings.port, settings.host, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Starts the tracking server: the pixel and redirect routes (@pytrack/http), the HTTP API,
 * the SQLite event store and the webhook dispatcher. Fails fast with a {@link SettingsError}
 * (bad keys, port in use, API without a token outside localhost) before it accepts anything.
 *
 * @example
 * ```ts
 * import { loadSettings, startServer } from '@pytrack/server'
 *
 * const server = await startServer(loadSettings({ overrides: { port: 0 } }))
 * console.log(server.url)
 * process.once('SIGTERM', () => void server.close())
 * ```
 */
export async function startServer(settings: ServerSettings, options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { service: 'pytrack' } })
  if (settings.apiToken === null && !isLoopbackHost(settings.host)) {
    throw new SettingsError(`PYTRACK_API_TOKEN is required when listening on ${settings.host} (outside localhost)`, { setting: 'PYTRACK_API_TOKEN' })
  }
  const { configuration, keys, loaded } = linkSetup(settings, logger)
  let store: EventStore
  if (options.store !== undefined) store = options.store
  else if (settings.databaseUrl === null) store = openDefaultStore(settings, logger)
  else {
    const opened = await openPostgresStore(settings.databaseUrl, settings, keys)
    store = opened.store
    if (opened.rotated) logger.info('this instance seals links with a newer key than the others on the database did (a key rotation); restart them with it')
  }
  try {
    const dispatcher = new OutboxDispatcher({
      store,
      logger,
      secret: settings.webhookSecret,
      timeoutSeconds: settings.webhookTimeoutSeconds,
      maxAttempts: settings.webhookMaxAttempts,
      retryBaseMs: settings.webhookRetryBaseMs,
    })
    const tracking = createTrackingRoutes({
      configuration,
      store,
      logger,
      emailKey: settings.emailKey,
      privacy: { address: settings.clientAddress, userAgent: settings.clientUserAgent },
      webhookUrls: settings.webhookUrls,
      trustedProxies: settings.trustedProxies,
      redirectAllow: settings.redirectAllow,
      onOutboxWritten: () => dispatcher.wake(),
      classification: options.classification,
      verdicts: options.verdicts,
      clock: options.clock,
    })
    const adaptPool = createAdaptPool({ settings, keys: loaded }, logger)
    const api = createApiHandler({
      store,
      configuration,
      apiToken: settings.apiToken,
      logger,
      adaptPool,
      wakeDispatcher: () => dispatcher.wake(),
    })

    const dashboard = createDashboardRoutes({ apiToken: settings.apiToken, logger })

    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      if (!isBatchRequest(req)) limitRequestTime(req, res)
      if (!api(req, res) && !dashboard(req, res)) tracking(req, res)
    }
    const server = createServer(
      // A slow client gives up its socket within about 12 s: its headers within 10 s (checked
      // every 2 s), its body within 10 s of them (limitRequestTime, except the batch endpoint's,
      // which streams under a per-line limit), and no connection stays silent 10 s (limitConnections).
      { keepAliveTimeout: 5_000, requestTimeout: 0, headersTimeout: 10_000, connectionsCheckingInterval: 2_000 },
      serve,
    )
    // Expect: 100-continue is answered by the handlers, not by node:http before them: the API
    // sends the 100 only when it is about to read a body it takes (http-io's continueIfAsked).
    server.on('checkContinue', serve)
    limitConnections(server, logger, settings.trustedProxies)
    // Bad requests at the HTTP level (garbage, oversized headers) never reach a handler; one
    // while a batch streams its answer (a broken chunk) closes the connection, as no status line can follow.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || error.code === 'ECONNRESET' || isStreamingBatch(socket)) socket.destroy()
      else if (error.code === 'HPE_HEADER_OVERFLOW') socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n')
      else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n')
      else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    })

    const address = await listen(server, settings)
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const url = `http://${host}:${address.port}`
    dispatcher.start()
    const retention = startRetentionJob(
      store,
      { eventsMs: settings.retentionMs, mode: settings.retentionMode, dropKeys: settings.retentionDropKeys, deliveredOutboxMs: settings.deliveredRetentionMs },
      logger,
    )
    logger.info(
      {
        url,
        publicUrl: settings.publicUrl,
        openUrl: configuration.baseOpenTrackingUrl,
        clickUrl: configuration.baseClickTrackingUrl,
        codec: configuration.codec.name,
        dataDir: settings.dataDir,
        store: options.store !== undefined ? 'given' : settings.databaseUrl === null ? 'sqlite' : 'postgres',
        api: settings.apiToken === null ? 'open (no token: localhost only)' : 'bearer token',
        webhooks: settings.webhookUrls.length,
      },
      'pytrack server listening',
    )

    let closing: Promise<void> | undefined
    const close = (): Promise<void> => {
      closing ??= (async () => {
        logger.info('shutting down: no new connections; finishing requests in flight')
        const started = Date.now()
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        const timer = setTimeout(() => server.closeAllConnections(), settings.shutdownTimeoutMs)
        await closed
        clearTimeout(timer)
        // Verdicts relabelling earlier events after the last answers: written before the store closes.
        await tracking.settled()
        await adaptPool.close()
        await dispatcher.close(Math.max(0, settings.shutdownTimeoutMs - (Date.now() - started)))
        await retention.stop()
        await store.close()
        logger.info('pytrack server stopped')
        logger.flush?.()
      })()
      return closing
    }
    return { url, port: address.port, settings, store, logger, configuration, close }
  } catch (error) {
    await store.close()
    if (isPytrackError(error, 'ERR_PYTRACK_CONFIGURATION')) {
      // @pytrack/http checks these lists and names the option; name the variable the operator wrote.
      const setting = VARIABLE_OF_OPTION.get(error.setting ?? '') ?? 'settings'
      throw new SettingsError(`${setting}: ${error.message}`, { setting, cause: error })
    }
    throw error
  }
}
