export { pytrack } from './pytrack-plugin'
export type { MessageTracking, PytrackPlugin, PytrackPluginOptions, TrackedMailOptions } from './pytrack-plugin'
export { MailContentError } from './errors/mail-content-error'
export type { MailContentErrorOptions } from './errors/mail-content-error'
