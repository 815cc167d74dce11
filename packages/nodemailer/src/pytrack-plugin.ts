import { InvalidArgumentError, type Metadata } from '@pytrack/core'
import { adaptHtml, adaptText, compileHtml, compileText, type AdaptHtmlOptions, type AdaptHtmlResult, type AdaptTextResult, type AdaptWarning } from '@pytrack/html'
import MailComposer from 'nodemailer/lib/mail-composer'
import { MailContentError } from './errors/mail-content-error'
import { TemplateCache } from './_internal/template-cache'

/**
 * How one message is tracked, given as the `pytrack` field of nodemailer's mail options (see
 * {@link TrackedMailOptions}): metadata for its links and pixel, or click or open tracking
 * turned off for this message only.
 *
 * @example
 * ```ts
 * await transporter.sendMail({ from, to, subject, html, pytrack: { metadata: { customer_id: 42 }, openTracking: false } })
 * ```
 */
export interface MessageTracking {
  /** Metadata sealed into this message's links and pixel, on top of the plugin's (this message's wins on a shared key). */
  metadata?: Metadata | undefined
  /** Rewrite this message's links. Default: the plugin's `clickTracking`. */
  clickTracking?: boolean | undefined
  /** Add the pixel to this message. Default: the plugin's `openTracking`. */
  openTracking?: boolean | undefined
}

/**
 * The field this plugin adds to nodemailer's mail options: `pytrack: false` sends the message
 * untracked; `pytrack: { ... }` sets how it is tracked ({@link MessageTracking}). Importing
 * `@pytrack/nodemailer` adds it to nodemailer's `SendMailOptions` type, so `sendMail` checks it.
 *
 * @example
 * ```ts
 * const message: SendMailOptions & TrackedMailOptions = { from, to, subject, html, pytrack: false }
 * ```
 */
export interface TrackedMailOptions {
  /** `false`: send this message untracked. An object: its metadata and switches. */
  pytrack?: MessageTracking | false | undefined
}

declare module 'nodemailer/lib/mailer' {
  // nodemailer 10's SendMailOptions (re-exported as Options), @types/nodemailer's Mail.Options.
  interface Options extends TrackedMailOptions {}
}

/**
 * Options of {@link pytrack}: those of `adaptHtml` from `@pytrack/html` (a `configuration`,
 * `allowDomains`/`denyDomains`, `shouldTrackLink`, `linkMetadata`, `pixelPosition`, `trapLink`...),
 * plus metadata for every message.
 *
 * @example
 * ```ts
 * const options: PytrackPluginOptions = { configuration, metadata: { app: 'newsletter' }, pixelPosition: 'top' }
 * ```
 */
export interface PytrackPluginOptions extends AdaptHtmlOptions {
  /** Metadata sealed into the links of every message; a message's own is added on top. */
  metadata?: Metadata | undefined
  /**
   * The metadata key that carries the message's `Message-ID` header (with its angle brackets,
   * as sent), so the server's stats count emails. `null` leaves it out. Default: `message_id`.
   */
  messageIdKey?: string | null | undefined
  /** Called with each warning of the HTML or text rewrite (Gmail clipping, a malformed URL...) and the message's Message-ID. */
  onWarning?: ((warning: AdaptWarning, messageId: string) => void) | undefined
}

/**
 * A nodemailer `compile` plugin, `(mail, callback) => void`.
 *
 * @example
 * ```ts
 * const plugin: PytrackPlugin = pytrack({ configuration })
 * transporter.use('compile', plugin)
 * ```
 */
export type PytrackPlugin = (
  mail: {
    // What the plugin reads of nodemailer's MailMessage, structurally (any nodemailer from 6.9 on).
    data: TrackedMailOptions & { html?: unknown; text?: unknown; raw?: unknown; messageId?: string | undefined }
    resolveContent(data: object, key: string, callback: (error: Error | null, value?: unknown) => void): unknown
  },
  callback: (error?: Error | null) => void,
) => void

type MailLike = Parameters<PytrackPlugin>[0]

/**
 * A nodemailer `compile` plugin that adds click and open tracking to every message sent
 * through the transporter: the HTML part's links are rewritten and the pixel added, the text
 * part's links rewritten (with `@pytrack/html`'s rules and its senders' opt-outs such as
 * `data-notrack`), and each link and the pixel carry the message's `Message-ID` as `message_id`
 * (generated now, as nodemailer generates it, when the message has none, and then sent with
 * it). The HTML or text may be a string, a Buffer, a stream, a `{ path }`, `{ href }` or
 * `{ content }`: it is read as UTF-8, tracked and put back as a string. A part that cannot be
 * read fails the send with {@link MailContentError}, so no message goes out untracked by
 * accident; a message with `raw` set is sent as it is. Attachments, inline `cid:` images, the
 * `amp` and `watchHtml` parts are left alone.
 *
 * An HTML or text part sent again (the same template to many recipients, told apart by their
 * metadata) is prepared once with `compileHtml`/`compileText` and then only spliced: the same
 * bytes as `adaptHtml`, many times faster. `shouldTrackLink` and `linkMetadata` are then
 * called once for such a template, not once a message.
 *
 * Throws `InvalidArgumentError` or `ConfigurationError` now for bad options.
 *
 * @example
 * ```ts
 * import { Configuration } from '@pytrack/core'
 * import { pytrack } from '@pytrack/nodemailer'
 * import nodemailer from 'nodemailer'
 *
 * const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 })
 * transporter.use('compile', pytrack({ configuration }))
 * await transporter.sendMail({ from, to, subject, html, text, pytrack: { metadata: { customer_id: 42 } } })
 * ```
 */
export function pytrack(options: PytrackPluginOptions): PytrackPlugin {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('pytrack() takes its options as an object such as { configuration }')
  }
  const { metadata: shared, messageIdKey = 'message_id', onWarning, ...adaptOptions } = options
  if (messageIdKey !== null && (typeof messageIdKey !== 'string' || messageIdKey === '')) {
    throw new InvalidArgumentError('options.messageIdKey must be a non-empty metadata key such as "message_id", or null')
  }
  if (onWarning !== undefined && typeof onWarning !== 'function') {
    throw new InvalidArgumentError('options.onWarning must be a function (warning, messageId) => void')
  }
  // Bad options and shared metadata fail here, once, rather than on every send.
  adaptHtml('', shared, adaptOptions)
  const clickDefault = adaptOptions.clickTracking !== false
  const openDefault = adaptOptions.openTracking !== false
  // One cache per combination of the per-message switches: a template compiled with them.
  const htmlTemplates = new Map<string, TemplateCache<AdaptHtmlResult>>()
  const textTemplates = new TemplateCache<AdaptTextResult>(
    (text) => compileText(text, adaptOptions),
    (text, metadata) => adaptText(text, metadata, adaptOptions),
  )
  const htmlTemplatesFor = (clickTracking: boolean, openTracking: boolean): TemplateCache<AdaptHtmlResult> => {
    const key = `${clickTracking}/${openTracking}`
    let cache = htmlTemplates.get(key)
    if (cache === undefined) {
      const partOptions = { ...adaptOptions, clickTracking, openTracking }
      cache = new TemplateCache(
        (html) => compileHtml(html, partOptions),
        (html, metadata) => adaptHtml(html, metadata, partOptions),
      )
      htmlTemplates.set(key, cache)
    }
    return cache
  }

  return (mail, callback) => {
    const data = mail.data
    const tracking = data.pytrack
    if (tracking === false || data.raw !== undefined) return callback()
    let metadata: Metadata
    let messageId: string
    let clickTracking: boolean
    let openTracking: boolean
    try {
      if (tracking !== undefined && (typeof tracking !== 'object' || tracking === null || Array.isArray(tracking))) {
        throw new InvalidArgumentError('the pytrack field of a message must be false or an object such as { metadata: { customer_id: 42 } }')
      }
      const own: unknown = tracking?.metadata
      if (own !== undefined && own !== null && (typeof own !== 'object' || Array.isArray(own))) {
        throw new InvalidArgumentError('pytrack.metadata of a message must be an object of metadata such as { customer_id: 42 }')
      }
      clickTracking = switchOf(tracking?.clickTracking, 'clickTracking', clickDefault)
      openTracking = switchOf(tracking?.openTracking, 'openTracking', openDefault)
      messageId = messageIdOf(data)
      metadata = { ...shared, ...tracking?.metadata }
      if (messageIdKey !== null) metadata[messageIdKey] = messageId
    } catch (error) {
      return callback(error as Error)
    }
    if (!clickTracking && !openTracking) return callback()
    const warn = (warnings: readonly AdaptWarning[]): void => {
      if (onWarning !== undefined) for (const warning of warnings) onWarning(warning, messageId)
    }
    readPart(mail, 'html', (error, html) => {
      if (error) return callback(error)
      readPart(mail, 'text', (textError, text) => {
        if (textError) return callback(textError)
        try {
          if (html !== null) {
            const result = htmlTemplatesFor(clickTracking, openTracking).render(html, metadata)
            data.html = result.html
            warn(result.warnings)
          }
          if (text !== null && clickTracking) {
            const result = textTemplates.render(text, metadata)
            data.text = result.text
            warn(result.warnings)
          }
        } catch (adaptError) {
          return callback(adaptError as Error)
        }
        callback()
      })
    })
  }
}

function switchOf(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`pytrack.${name} of a message must be true or false`)
  return value
}

/**
 * The Message-ID the message will be sent with, as its header will read: the one given
 * (`messageId` or a `Message-ID` header), else one nodemailer's own composer generates, which
 * is then set on the message so that it is the one sent.
 */
function messageIdOf(data: MailLike['data']): string {
  let id = new MailComposer(data as ConstructorParameters<typeof MailComposer>[0]).compile().messageId()
  // As nodemailer writes the header: no line breaks or control characters, in angle brackets.
  id = id.replace(/\r?\n|\r/g, ' ').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
  if (!id.startsWith('<')) id = `<${id}`
  if (!id.endsWith('>')) id = `${id}>`
  data.messageId = id
  return id
}

// fatal: bytes that are not UTF-8 would come out as U+FFFD, changing the email; refuse them instead.
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** The part as a string (UTF-8), null when the message has none. */
function readPart(mail: MailLike, part: 'html' | 'text', callback: (error: Error | null, value: string | null) => void): void {
  const value = mail.data[part]
  if (value === undefined || value === null || value === '' || value === false) return callback(null, null)
  if (typeof value === 'string') return callback(null, value)
  mail.resolveContent(mail.data, part, (error, content) => {
    if (error) {
      const code = (error as { code?: unknown }).code
      const reason = code === 'EFILEACCESS' || code === 'EURLACCESS' ? 'file or URL access is turned off for this message' : 'reading it failed'
      return callback(new MailContentError(`the ${part} part of the message could not be read for tracking (${reason}); the message was not sent (see the cause)`, { part, cause: error }), null)
    }
    if (typeof content === 'string') return callback(null, content)
    if (content instanceof Uint8Array) {
      try {
        return callback(null, UTF8.decode(content))
      } catch (decodeError) {
        return callback(new MailContentError(`the ${part} part of the message is not UTF-8; give it as a string, or as UTF-8 bytes`, { part, cause: decodeError }), null)
      }
    }
    if (!content) return callback(null, null)
    callback(new MailContentError(`the ${part} part of the message is ${typeof content}, not a string, Buffer, stream, { path }, { href } or { content }`, { part }), null)
  })
}
