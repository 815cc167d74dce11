import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Options of a {@link MailContentError}: {@link PytrackErrorOptions} plus the part.
 *
 * @example
 * ```ts
 * throw new MailContentError('the html part of the message could not be read', { part: 'html', cause: error })
 * ```
 */
export interface MailContentErrorOptions extends PytrackErrorOptions {
  /** Which part could not be read: `html` or `text`. */
  part: 'html' | 'text'
}

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

  constructor(message: string, options: MailContentErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_MAIL_CONTENT' })
    this.name = 'MailContentError'
    this.part = options.part
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_MAIL_CONTENT: MailContentError
  }
}
