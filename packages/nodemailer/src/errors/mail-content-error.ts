import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A message's HTML or text part could not be read for tracking (a stream that failed, a file
 * path or URL that could not be read, file or URL access turned off): the message is not sent,
 * rather than sent untracked. The part is named in `part`; the reason is the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await transporter.sendMail({ from, to, html: { path: './missing.html' } })
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_MAIL_CONTENT')) console.error(error.part, error.cause)
 * }
 * ```
 */
export class MailContentError extends PytrackError {
  /** Which part could not be read: `html` or `text`. */
  readonly part: 'html' | 'text'

  constructor(message: string, part: 'html' | 'text', options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_MAIL_CONTENT', message, options)
    this.name = 'MailContentError'
    this.part = part
  }
}
