// Builds markup carrying each opt-out of the package's list, for the opt-out and corpus suites.
import type { HtmlForm, TextForm } from '../src/_internal/opt-outs'

/** An `<a>` start tag's attributes text (with a leading space) that carries the form, for one href. */
export function withHtmlOptOut(form: HtmlForm, href: string): { attributes: string; href: string } {
  if ('scheme' in form) return { attributes: '', href: href.replace(/^(\s*https?)(:)/i, '$1+notrack$2') }
  if ('classToken' in form) return { attributes: ` class="button ${form.classToken}"`, href }
  // Values in another case than the sender's docs write them: they match in any case.
  return { attributes: form.value === null ? ` ${form.attribute}` : ` ${form.attribute}="${form.value.toUpperCase()}"`, href }
}

/** A URL in a text part written with the form, and what the reader must get instead. */
export function withTextOptOut(form: TextForm, url: string): { written: string; expected: string } {
  if ('scheme' in form) return { written: url.replace(/^(https?)(:)/i, '$1+notrack$2'), expected: url }
  return { written: `${url}${form.suffix}`, expected: url }
}
