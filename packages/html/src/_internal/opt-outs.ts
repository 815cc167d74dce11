import { decodeAttribute } from './link-rules'

/**
 * One sender's way of leaving one link untracked. The list below is the only place they are
 * defined: adaptHtml and adaptText read it, the README table is checked against it and the
 * tests are generated from it, so another sender is one line.
 */
export interface OptOut {
  /** Who defines it, as the README table names them. */
  readonly sender: string
  /** What the sender writes on an `<a>`/`<area>`, or null when it defines no HTML form. */
  readonly html: HtmlForm | null
  /** What the sender writes in a text/plain part, or null when it defines none there. */
  readonly text: TextForm | null
  /** Where the form is documented (or, when undocumented, the code that uses it). */
  readonly source: string
}

/** An attribute (present, or with one value), a class name, or Postal's `+notrack` scheme. */
export type HtmlForm =
  | { readonly attribute: string; readonly value: string | null }
  | { readonly classToken: string }
  | { readonly scheme: true }

/** Postal's `+notrack` scheme, or a marker written right after the URL (SparkPost). */
export type TextForm = { readonly scheme: true } | { readonly suffix: string }

const attribute = (name: string, value: string | null = null): HtmlForm => ({ attribute: name, value })
const NOTRACK_SCHEME = { scheme: true } as const

export const OPT_OUTS: readonly OptOut[] = [
  { sender: 'pytrack', html: attribute('data-notrack'), text: null, source: 'this package' },
  { sender: 'SendGrid', html: attribute('clicktracking', 'off'), text: null, source: 'SendGrid docs, click tracking (HTML only); sendgrid/docs issue 5611' },
  { sender: 'Postmark', html: attribute('data-pm-no-track'), text: null, source: 'postmarkapp.com user guide, tracking links' },
  { sender: 'Amazon SES', html: attribute('ses:no-track'), text: null, source: 'AWS SES docs' },
  {
    sender: 'SparkPost',
    html: attribute('data-msys-clicktrack', '0'),
    text: { suffix: '[[data-msys-clicktrack="0"]]' },
    source: 'SparkPost/support-docs `deep-links-self-serve.md`, `engagement-tracking.md`',
  },
  { sender: 'Mailgun', html: attribute('disable-tracking', 'true'), text: null, source: 'mailgun/documentation PR 610' },
  { sender: 'Mandrill (Mailchimp Transactional)', html: attribute('mc:disable-tracking'), text: null, source: 'code that uses it; the Mandrill docs page names it' },
  { sender: 'Customer.io', html: { classToken: 'untracked' }, text: null, source: 'Customer.io docs' },
  { sender: 'Mautic (before 7)', html: attribute('mautic:disable-tracking'), text: null, source: 'mautic/mautic `TrackableModel.php`' },
  { sender: 'Mautic 7', html: attribute('data-mautic-disable-tracking', 'true'), text: null, source: "mautic/mautic 7.0 upgrade notes (it replaces `mautic:disable-tracking`)" },
  { sender: 'Postal', html: NOTRACK_SCHEME, text: NOTRACK_SCHEME, source: 'postalserver/postal `lib/postal/message_parser.rb` (also `http+notrack://`)' },
  { sender: 'ahoy_email', html: attribute('data-skip-click'), text: null, source: 'ankane/ahoy_email `lib/ahoy_email/processor.rb`' },
  { sender: 'Campaign Monitor', html: attribute('cm_dontconvertlink'), text: null, source: 'Campaign Monitor docs' },
]

/** How a form is written, for the README table and messages: `data-msys-clicktrack="0"`. */
export function describeForm(form: HtmlForm | TextForm): string {
  if ('scheme' in form) return 'https+notrack://'
  if ('suffix' in form) return `URL${form.suffix}`
  if ('classToken' in form) return `class="${form.classToken}"`
  return form.value === null ? form.attribute : `${form.attribute}="${form.value}"`
}

// Compiled once: attribute name -> the value that opts out (null: any value, even none).
const BY_ATTRIBUTE = new Map<string, string | null>()
const CLASS_TOKENS: string[] = []
const TEXT_SUFFIXES: string[] = []
for (const { html, text } of OPT_OUTS) {
  if (html !== null && 'attribute' in html) BY_ATTRIBUTE.set(html.attribute, html.value)
  else if (html !== null && 'classToken' in html) CLASS_TOKENS.push(html.classToken)
  if (text !== null && 'suffix' in text) TEXT_SUFFIXES.push(text.suffix)
}
const ASCII_WHITESPACE = /[\t\n\f\r ]+/

/**
 * True when the element carries one of the opt-out attributes or classes (names lower-cased,
 * values entity-decoded, trimmed and compared in any case; class names exactly, as CSS does).
 */
export function hasOptOutAttribute(attributes: ReadonlyMap<string, string>): boolean {
  for (const [name, raw] of attributes) {
    const value = BY_ATTRIBUTE.get(name)
    if (value === undefined) {
      if (name === 'class' && CLASS_TOKENS.length > 0) {
        const classes = decodeAttribute(raw).split(ASCII_WHITESPACE)
        if (CLASS_TOKENS.some((token) => classes.includes(token))) return true
      }
      continue
    }
    if (value === null || decodeAttribute(raw).trim().toLowerCase() === value) return true
  }
  return false
}

const NOTRACK = /^(https?)\+notrack:/i

/** True for Postal's `http+notrack://` and `https+notrack://` (any case). */
export function hasNotrackScheme(url: string): boolean {
  return NOTRACK.test(url)
}

/** The URL Postal sends for a `+notrack` one: `https+notrack://x` becomes `https://x`. */
export function withoutNotrack(url: string): string {
  return url.replace(NOTRACK, '$1:')
}

/** The length of a text opt-out marker (SparkPost's `[[data-msys-clicktrack="0"]]`) at `at`, or 0. */
export function textSuffixAt(text: string, at: number): number {
  for (const suffix of TEXT_SUFFIXES) if (text.startsWith(suffix, at)) return suffix.length
  return 0
}
