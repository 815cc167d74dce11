/**
 * Every error code a pytrack package can throw. One union for the whole monorepo,
 * so `switch (error.code)` is checked by the compiler. Codes are stable: they are API.
 *
 * @example
 * ```ts
 * const code: PytrackErrorCode = 'ERR_PYTRACK_INVALID_LINK'
 * if (isPytrackError(error, code)) return notFound()
 * ```
 */
export type PytrackErrorCode =
  // @pytrack/core
  | 'ERR_PYTRACK_CONFIGURATION'
  | 'ERR_PYTRACK_INVALID_ARGUMENT'
  | 'ERR_PYTRACK_METADATA'
  | 'ERR_PYTRACK_LINK_TOO_LONG'
  | 'ERR_PYTRACK_INVALID_LINK'
  | 'ERR_PYTRACK_INVALID_DESTINATION'
  // @pytrack/crypto
  | 'ERR_PYTRACK_INVALID_KEY'
  | 'ERR_PYTRACK_INVALID_TOKEN'
  | 'ERR_PYTRACK_LINK_EXPIRED'
  // @pytrack/html
  | 'ERR_PYTRACK_HTML'
  // @pytrack/nodemailer
  | 'ERR_PYTRACK_MAIL_CONTENT'
  // @pytrack/webhook
  | 'ERR_PYTRACK_WEBHOOK_DELIVERY'
  | 'ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED'
  | 'ERR_PYTRACK_WEBHOOK_VERIFICATION'
  | 'ERR_PYTRACK_QUEUE_FULL'
  | 'ERR_PYTRACK_QUEUE_CLOSED'
  // @pytrack/http
  | 'ERR_PYTRACK_HANDLER'
  | 'ERR_PYTRACK_REDIRECT_REFUSED'
  // @pytrack/server
  | 'ERR_PYTRACK_SETTINGS'
  | 'ERR_PYTRACK_STORE'
  | 'ERR_PYTRACK_API'
