// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { isPytrackError, PytrackError } from '@pytrack/core'
import { expectTypeOf } from 'vitest'
import { MailContentError } from '@pytrack/nodemailer'

// nodemailer adds its code to core's map (declaration merging), so the guard narrows to its class.
declare const caught: unknown
if (isPytrackError(caught, 'ERR_PYTRACK_MAIL_CONTENT')) {
  expectTypeOf(caught).toEqualTypeOf<MailContentError>()
  expectTypeOf(caught.part).toEqualTypeOf<'html' | 'text'>()
}
expectTypeOf<MailContentError>().toExtend<PytrackError>()
new MailContentError('the html part could not be read', { part: 'html', cause: new Error('ENOENT') })
// @ts-expect-error: the part goes in the options
new MailContentError('the html part could not be read', 'html')
