import cluster from 'node:cluster'
import { createRequire } from 'node:module'
import {
  base64Codec,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  InvalidLinkError,
  isPytrackError,
  parseClickDestination,
  type Configuration,
  type Metadata,
  type TrackingResult,
} from '@pytrack/core'
import { Fernet } from '@pytrack/crypto'
import { adaptHtml, adaptText, type AdaptHtmlOptions } from '@pytrack/html'
import { generateWebhookSecret } from '@pytrack/webhook'
import { pino } from 'pino'
import { linkConfiguration, prepareStore, startServer, type RunningServer } from '../server'
import { loadSettings, readSettings, settingFlags, type ServerSettings } from '../settings'
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from './flags'
import { settingFlagHelp, settingVariableHelp } from './settings-docs'
import { reportListening, superviseWorkers } from './workers'

/** What the CLI talks to: the process in production, buffers in tests. */
export interface CliIo {
  argv: readonly string[]
  env: Record<string, string | undefined>
  cwd: string
  stdout: (text: string) => void
  stderr: (text: string) => void
  readStdin: () => Promise<string>
  stdinIsTty: boolean
  /** Called once the server listens (tests use it); `serve` resolves after shutdown. */
  onServing?: (server: RunningServer) => void
  /** Registers the shutdown signals; returns a function removing them. */
  onSignal?: (handler: (signal: string) => void) => () => void
}

const EXIT_OK = 0
const EXIT_FAILURE = 1
const EXIT_USAGE = 2

class UsageError extends Error {
  readonly command: string
  constructor(message: string, command: string) {
    super(message)
    this.command = command
  }
}

const MAIN_HELP = `Usage: pytrack <command> [options]

Email open and click tracking: tracking links, HTML rewriting and a tracking server.

Commands:
  serve              start the tracking server (pixel, redirect, HTTP API, webhooks)
  encode open        print an open tracking (pixel) link
  encode click URL   print a click tracking link that redirects to URL
  decode URL         print what a tracking link carries, as JSON
  adapt              add click and open tracking to an HTML email (stdin to stdout)
  keygen             print a new random link key

Options:
  -h, --help         show help; pytrack <command> --help shows a command's options
  -v, --version      print the version

Settings come from PYTRACK_* environment variables or --config FILE (see the README).
Exit codes: 0 success, 1 failure, 2 wrong usage or bad settings.
`

const LINK_FLAGS_HELP = settingFlagHelp('link')

const HELP: Record<string, string> = {
  serve: `Usage: pytrack serve [options]

Starts the tracking server: pixels at <public URL>/open/<token>, redirects at
<public URL>/click/<token>, the HTTP API under /api/v1 and /healthz. Every open and
click is stored in SQLite (<data dir>/pytrack.db) before it is answered. Stops cleanly
on SIGTERM or Ctrl-C.

Options:
${settingFlagHelp('serve')}
  -h, --help             show this help

Settings (flags win over variables, variables over the config file):
${settingVariableHelp()}
`,
  encode: `Usage: pytrack encode open [options]
       pytrack encode click URL [options]

Prints a tracking link made with the server's settings and key, so the server opens it.

Options:
  -m, --meta KEY=VALUE   add a metadata entry (a string); repeat for more
      --metadata JSON    metadata as a JSON object (for numbers, booleans...); --meta adds to it
${LINK_FLAGS_HELP}
  -h, --help             show this help

Example:
  pytrack encode click https://example.com/sale --meta message_id=m-42 --meta campaign=fall
`,
  decode: `Usage: pytrack decode URL [options]

Prints what a tracking link carries (kind, destination, metadata) as JSON. Exits with 1
when the link does not open with the configured key.

Options:
${LINK_FLAGS_HELP}
  -h, --help             show this help
`,
  adapt: `Usage: pytrack adapt [options] < email.html > tracked.html

Reads an HTML email on stdin and writes it to stdout with its links rewritten for click
tracking and the open pixel added; every other byte is kept. Warnings go to stderr.

Options:
  -m, --meta KEY=VALUE   add a metadata entry (a string); repeat for more
      --metadata JSON    metadata as a JSON object; --meta adds to it
      --text             the input is a text/plain part: rewrite bare URLs, add no pixel
      --no-click         do not rewrite links
      --no-open          do not add the pixel
      --pixel POSITION   bottom (default, before </body>) or top (survives Gmail clipping)
      --link-metadata    add each link's position (link_index) and data-link-id (link_id)
${LINK_FLAGS_HELP}
  -h, --help             show this help
`,
  keygen: `Usage: pytrack keygen [--webhook]

Prints a new random key (32 bytes, URL-safe base64): a Fernet key, also fit as a signing
secret. Put it first in PYTRACK_KEYS (comma-separated, first seals, all open) or in the
key file to rotate keys.

Options:
      --webhook          print a webhook signing secret (whsec_...) for PYTRACK_WEBHOOK_SECRET instead
  -h, --help             show this help
`,
}

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const

const LINK_FLAGS: Record<string, FlagSpec> & typeof HELP_FLAG = { ...settingFlags('link'), ...HELP_FLAG }

const META_FLAGS = {
  meta: { type: 'string', short: 'm', multiple: true, arg: 'KEY=VALUE' },
  metadata: { type: 'string', arg: 'JSON' },
} as const

function parse<O extends Record<string, FlagSpec>>(command: string, args: readonly string[], options: O): ParsedFlags<O> {
  try {
    return parseFlags(`pytrack ${command}`, args, options)
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message, command)
    throw error
  }
}

function version(): string {
  // The package.json is one folder up from dist/ and two from src/_internal/.
  const require = createRequire(import.meta.url)
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const manifest = require(path) as { name?: string; version?: string }
      if (manifest.name === '@pytrack/server' && manifest.version !== undefined) return manifest.version
    } catch {
      // not there; try the next
    }
  }
  return 'unknown'
}

function metadataOf(command: string, values: { meta?: string[] | undefined; metadata?: string | undefined }): Metadata | null {
  let metadata: Metadata | null = null
  if (values.metadata !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(values.metadata)
    } catch {
      throw new UsageError(`--metadata is not valid JSON; give an object such as '{"message_id": "m-1"}'`, command)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError('--metadata must be a JSON object such as \'{"message_id": "m-1"}\'', command)
    }
    metadata = parsed as Metadata
  }
  for (const entry of values.meta ?? []) {
    const equals = entry.indexOf('=')
    if (equals <= 0) throw new UsageError(`--meta takes KEY=VALUE, such as --meta message_id=m-1; got "${entry}"`, command)
    metadata = { ...metadata, [entry.slice(0, equals)]: entry.slice(equals + 1) }
  }
  return metadata
}

function configurationFor(io: CliIo, flags: Readonly<Record<string, unknown>>): Configuration {
  const settings = readSettings({ env: io.env, flags, cwd: io.cwd, serving: false })
  // Key notices go to stderr so stdout stays the link alone.
  const say = (level: string) => (object: unknown, message?: string) => {
    const text = typeof object === 'string' ? object : `${message ?? ''}${(object as { file?: string }).file ? `: ${(object as { file: string }).file}` : ''}`
    io.stderr(`pytrack: ${level === 'warn' ? 'warning: ' : ''}${text}\n`)
  }
  return linkConfiguration(settings, { info: say('info'), warn: say('warn') } as never, { createKey: false })
}

// Scheme and host are case-insensitive, so HTTP://HOST/click/… is still under http://host/click/.
function isUnder(url: string, base: string | null): boolean {
  return base !== null && url.slice(0, base.length).toLowerCase() === base.toLowerCase()
}

function decode(configuration: Configuration, url: string): { kind: 'open' | 'click'; result: TrackingResult } {
  const options = { configuration }
  if (isUnder(url, configuration.baseClickTrackingUrl)) {
    return { kind: 'click', result: getClickTrackingResult(url, options) }
  }
  if (isUnder(url, configuration.baseOpenTrackingUrl)) {
    return { kind: 'open', result: getOpenTrackingResult(url, options) }
  }
  // Another host or path (a proxy, another deployment): the token decides (a click link
  // carries its destination). If it does not open either, say the URL was not a tracking route.
  let result: TrackingResult
  try {
    result = getClickTrackingResult(url, options)
  } catch (error) {
    const bases = [configuration.baseClickTrackingUrl, configuration.baseOpenTrackingUrl].filter((base) => base !== null)
    throw new InvalidLinkError(
      `${(error as Error).message}; note that the URL is under neither base URL (${bases.join(', ')}): is it a tracking link, and are the base URLs (PYTRACK_PUBLIC_URL) right?`,
      { cause: error },
    )
  }
  return result.trackedUrl ? { kind: 'click', result } : { kind: 'open', result: getOpenTrackingResult(url, options) }
}

/** {@link decode}; when a Fernet or signed link fails, says so if it reads as pytracking's plain base64. */
function decodeWithHint(configuration: Configuration, url: string): ReturnType<typeof decode> {
  try {
    return decode(configuration, url)
  } catch (error) {
    if (configuration.codec.name === 'base64' || !isPytrackError(error, 'ERR_PYTRACK_INVALID_LINK')) throw error
    try {
      decode(configuration.with({ codec: base64Codec }), url)
    } catch {
      throw error
    }
    throw new InvalidLinkError(
      `${error.message}; it reads as a plain base64 link (pytracking without encryption_bytestring_key): decode it with --codec base64 or PYTRACK_CODEC=base64`,
      { cause: error },
    )
  }
}

/** `serve --workers N`: the keys, schema and key check once here, then N workers on one port. */
async function superviseServe(io: CliIo, settings: ServerSettings): Promise<number> {
  const logger = pino({ level: settings.logLevel, base: { service: 'pytrack', role: 'supervisor' } })
  await prepareStore(settings, logger)
  const script = process.argv[1]
  if (script === undefined) throw new UsageError('--workers needs pytrack run as a command (pytrack serve)', 'serve')
  const supervisor = superviseWorkers({
    workers: settings.workers,
    logger,
    env: io.env,
    exec: script,
    args: process.argv.slice(2),
    shutdownTimeoutMs: settings.shutdownTimeoutMs,
  })
  return new Promise<number>((resolve) => {
    let stopping = false
    const remove = io.onSignal?.((signal) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting')
        resolve(EXIT_FAILURE)
        return
      }
      stopping = true
      logger.info({ signal }, 'signal received: draining every worker')
      void supervisor.stop().then((code) => {
        remove?.()
        logger.info({ code }, 'pytrack workers stopped')
        resolve(code)
      })
    })
    supervisor.ready.then(
      (url) => logger.info({ url, workers: settings.workers }, 'pytrack workers listening'),
      (error: unknown) => {
        logger.error({ err: error }, 'a worker could not start; stopping')
        void supervisor.stop().then(() => {
          remove?.()
          resolve(EXIT_USAGE)
        })
      },
    )
  })
}

async function serve(io: CliIo, args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(HELP.serve as string)
    return EXIT_OK
  }
  const settings = loadSettings({ env: io.env, argv: args, cwd: io.cwd })
  if (settings.workers > 1 && cluster.isPrimary) return superviseServe(io, settings)
  const server = await startServer(settings)
  io.onServing?.(server)
  reportListening(server.url)
  return new Promise<number>((resolve) => {
    let stopping = false
    const remove = io.onSignal?.((signal) => {
      if (stopping) {
        // A second signal: the operator wants out now.
        server.logger.warn({ signal }, 'second signal: exiting without waiting')
        resolve(EXIT_FAILURE)
        return
      }
      stopping = true
      server.logger.info({ signal }, 'signal received')
      server.close().then(
        () => {
          remove?.()
          resolve(EXIT_OK)
        },
        (error: unknown) => {
          server.logger.error({ err: error }, 'shutdown failed')
          resolve(EXIT_FAILURE)
        },
      )
    })
  })
}

async function run(io: CliIo): Promise<number> {
  const [command, ...args] = io.argv
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(MAIN_HELP)
    return command === undefined ? EXIT_USAGE : EXIT_OK
  }
  if (command === '-v' || command === '--version') {
    io.stdout(`${version()}\n`)
    return EXIT_OK
  }
  switch (command) {
    case 'serve':
      return serve(io, args)
    case 'keygen': {
      const { values, positionals } = parse('keygen', args, { ...HELP_FLAG, webhook: { type: 'boolean' } } as const)
      if (values.help) {
        io.stdout(HELP.keygen as string)
        return EXIT_OK
      }
      if (positionals.length > 0) throw new UsageError(`keygen takes no arguments; got "${positionals[0]}"`, 'keygen')
      io.stdout(`${values.webhook === true ? generateWebhookSecret() : Fernet.generateKey()}\n`)
      return EXIT_OK
    }
    case 'encode': {
      const { values, positionals } = parse('encode', args, { ...LINK_FLAGS, ...META_FLAGS })
      if (values.help) {
        io.stdout(HELP.encode as string)
        return EXIT_OK
      }
      const [kind, url, extra] = positionals
      if (kind !== 'open' && kind !== 'click') throw new UsageError('say which link: pytrack encode open, or pytrack encode click URL', 'encode')
      if (kind === 'open' && url !== undefined) throw new UsageError('an open link takes no URL; did you mean pytrack encode click URL?', 'encode')
      if (kind === 'click' && url === undefined) throw new UsageError('a click link needs the destination: pytrack encode click https://example.com/', 'encode')
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, 'encode')
      if (kind === 'click') {
        // Core's click destination rule, the one links are made and served by, said as a usage mistake.
        try {
          parseClickDestination(url as string)
        } catch (error) {
          if (!isPytrackError(error, 'ERR_PYTRACK_INVALID_DESTINATION')) throw error
          throw new UsageError(`${error.message}; got "${url as string}"`, 'encode')
        }
      }
      const metadata = metadataOf('encode', values)
      const configuration = configurationFor(io, values)
      const link =
        kind === 'open'
          ? getOpenTrackingUrl(metadata, { configuration })
          : getClickTrackingUrl(url as string, metadata, { configuration })
      io.stdout(`${link}\n`)
      return EXIT_OK
    }
    case 'decode': {
      const { values, positionals } = parse('decode', args, LINK_FLAGS)
      if (values.help) {
        io.stdout(HELP.decode as string)
        return EXIT_OK
      }
      if (positionals.length !== 1) throw new UsageError('give one tracking link: pytrack decode URL', 'decode')
      const configuration = configurationFor(io, values)
      const { kind, result } = decodeWithHint(configuration, positionals[0] as string)
      io.stdout(`${JSON.stringify({ kind, url: result.trackedUrl, metadata: result.metadata }, null, 2)}\n`)
      return EXIT_OK
    }
    case 'adapt': {
      const { values, positionals } = parse('adapt', args, {
        ...LINK_FLAGS,
        ...META_FLAGS,
        text: { type: 'boolean' },
        'no-click': { type: 'boolean' },
        'no-open': { type: 'boolean' },
        pixel: { type: 'string', arg: 'POSITION' },
        'link-metadata': { type: 'boolean' },
      } as const)
      if (values.help) {
        io.stdout(HELP.adapt as string)
        return EXIT_OK
      }
      if (positionals.length > 0) throw new UsageError(`adapt reads the email on stdin; got "${positionals[0]}" (use: pytrack adapt < email.html)`, 'adapt')
      if (values.pixel !== undefined && values.pixel !== 'top' && values.pixel !== 'bottom') {
        throw new UsageError(`--pixel must be top or bottom; got "${values.pixel}"`, 'adapt')
      }
      if (io.stdinIsTty) throw new UsageError('pipe the email in: pytrack adapt < email.html > tracked.html', 'adapt')
      const metadata = metadataOf('adapt', values)
      const configuration = configurationFor(io, values)
      const input = await io.readStdin()
      const options: AdaptHtmlOptions = { configuration, clickTracking: values['no-click'] !== true }
      if (values['link-metadata'] === true) options.linkMetadata = true
      let output: string
      let warnings: { message: string }[]
      if (values.text === true) {
        ;({ text: output, warnings } = adaptText(input, metadata, options))
      } else {
        options.openTracking = values['no-open'] !== true
        if (values.pixel === 'top' || values.pixel === 'bottom') options.pixelPosition = values.pixel
        ;({ html: output, warnings } = adaptHtml(input, metadata, options))
      }
      for (const warning of warnings) io.stderr(`pytrack: warning: ${warning.message}\n`)
      io.stdout(output)
      return EXIT_OK
    }
    default:
      throw new UsageError(`unknown command "${command}"; the commands are serve, encode, decode, adapt and keygen`, '')
  }
}

/**
 * Runs the `pytrack` command line and resolves with the exit code: 0 success, 1 failure
 * (a link that does not decode, a server that stopped badly), 2 wrong usage or bad settings.
 * Errors are one line on stderr, `pytrack: <what went wrong>`.
 */
export async function runCli(io: CliIo): Promise<number> {
  try {
    return await run(io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`pytrack: ${error.message}\nTry 'pytrack ${error.command ? `${error.command} ` : ''}--help'.\n`)
      return EXIT_USAGE
    }
    if (isPytrackError(error, 'ERR_PYTRACK_SETTINGS')) {
      io.stderr(`pytrack: ${error.message}\n`)
      return EXIT_USAGE
    }
    if (isPytrackError(error)) {
      io.stderr(`pytrack: ${error.message}\n`)
      return EXIT_FAILURE
    }
    io.stderr(`pytrack: ${(error as Error)?.message ?? String(error)}\n`)
    return EXIT_FAILURE
  }
}
