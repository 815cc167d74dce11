import { QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2'

/** An element that may carry a link: `<a>`/`<area>`, or a VML shape inside a conditional comment. */
export interface FoundElement {
  /** Lower-cased tag name, e.g. `a`, `area`, `v:roundrect`. */
  tagName: string
  /** Inside an `<!--[if ...]> ... <![endif]-->` conditional comment. */
  inConditionalComment: boolean
  /** The raw `href` value's offsets (quotes excluded); without an href, both are the offset of the tag's `<`. */
  hrefStart: number
  hrefEnd: number
  hasHref: boolean
  /** How the href value is quoted; `QuoteType.NoValue` for `href` without `=` or no href. */
  hrefQuote: QuoteType
  /** Every attribute of the tag, names lower-cased, values raw (entities not decoded); first occurrence wins. */
  rawAttributes: Map<string, string>
}

export interface ScanResult {
  elements: FoundElement[]
  /** Offset just after the first `<body ...>` start tag, or -1. */
  bodyOpenEnd: number
  /** Offset of the `<` of the last `</body>` end tag, or -1. */
  bodyCloseStart: number
}

const enum Mode {
  /** Not inside a tag we care about. */
  Skip,
  /** Inside the start tag of a possible link: collect its attributes. */
  Collect,
  /** Inside the `<body>` start tag. */
  Body,
}

const A = 0x61
const V = 0x76
const COLON = 0x3a

function noop(): void {}

/**
 * Drives htmlparser2's Tokenizer over the original string and records, as offsets, what the
 * rewriter needs: link elements with their href value span, the body start and end tags, and
 * (recursively) the links inside Outlook conditional comments. Nothing is built or serialised;
 * the caller splices new values into the original string.
 */
class Scanner implements TokenizerCallbacks {
  readonly elements: FoundElement[]
  bodyOpenEnd = -1
  bodyCloseStart = -1

  private readonly html: string
  private readonly base: number
  private readonly inComment: boolean
  private readonly wantLinks: boolean
  private mode: Mode = Mode.Skip
  private tagName = ''
  private tagStart = -1
  private attributes = new Map<string, string>()
  private hrefStart = -1
  private hrefEnd = -1
  private hrefQuote: QuoteType = QuoteType.NoValue
  private attributeName = ''
  private dataStart = -1
  private dataEnd = -1

  constructor(html: string, base: number, inComment: boolean, wantLinks: boolean, elements: FoundElement[]) {
    this.html = html
    this.base = base
    this.inComment = inComment
    this.wantLinks = wantLinks
    this.elements = elements
  }

  onopentagname(start: number, end: number): void {
    const html = this.html
    const length = end - start
    this.mode = Mode.Skip
    if (!this.wantLinks && this.inComment) return
    const first = html.charCodeAt(start) | 0x20
    if (this.wantLinks && length === 1 && first === A) {
      this.startCollecting('a', start - 1)
    } else if (length === 4) {
      const name = html.slice(start, end).toLowerCase()
      if (name === 'area') {
        if (this.wantLinks) this.startCollecting(name, start - 1)
      } else if (name === 'body' && !this.inComment && this.bodyOpenEnd === -1) {
        this.mode = Mode.Body
      }
    } else if (this.inComment && length > 2 && first === V && html.charCodeAt(start + 1) === COLON) {
      this.startCollecting(html.slice(start, end).toLowerCase(), start - 1)
    }
  }

  private startCollecting(tagName: string, tagStart: number): void {
    this.mode = Mode.Collect
    this.tagName = tagName
    this.tagStart = tagStart
    this.attributes = new Map()
    this.hrefStart = -1
    this.hrefEnd = -1
    this.hrefQuote = QuoteType.NoValue
  }

  onattribname(start: number, end: number): void {
    if (this.mode !== Mode.Collect) return
    this.attributeName = this.html.slice(start, end).toLowerCase()
    this.dataStart = -1
  }

  onattribdata(start: number, end: number): void {
    if (this.mode !== Mode.Collect) return
    if (this.dataStart === -1) this.dataStart = start
    this.dataEnd = end
  }

  onattribend(quote: QuoteType, end: number): void {
    if (this.mode !== Mode.Collect) return
    const name = this.attributeName
    // Browsers keep the first of duplicated attributes.
    if (this.attributes.has(name)) return
    let start: number
    let stop: number
    if (quote === QuoteType.Double || quote === QuoteType.Single) {
      stop = end - 1
      start = this.dataStart === -1 ? stop : this.dataStart
    } else if (quote === QuoteType.Unquoted) {
      start = this.dataStart
      stop = this.dataEnd
    } else {
      start = stop = end
    }
    this.attributes.set(name, this.html.slice(start, stop))
    if (name === 'href') {
      this.hrefStart = start
      this.hrefEnd = stop
      this.hrefQuote = quote
    }
  }

  onopentagend(end: number): void {
    if (this.mode === Mode.Collect) this.finishElement()
    else if (this.mode === Mode.Body) this.bodyOpenEnd = end + 1
    this.mode = Mode.Skip
  }

  onselfclosingtag(end: number): void {
    this.onopentagend(end)
  }

  private finishElement(): void {
    const inComment = this.inComment
    // Inside conditional comments only elements that carry an href matter (VML buttons).
    if (inComment && this.hrefStart === -1) return
    const base = this.base
    const hasHref = this.hrefStart !== -1
    this.elements.push({
      tagName: this.tagName,
      inConditionalComment: inComment,
      hrefStart: (hasHref ? this.hrefStart : this.tagStart) + base,
      hrefEnd: (hasHref ? this.hrefEnd : this.tagStart) + base,
      hasHref,
      hrefQuote: this.hrefQuote,
      rawAttributes: this.attributes,
    })
  }

  onclosetag(start: number, end: number): void {
    if (this.inComment || end - start !== 4) return
    if (this.html.slice(start, end).toLowerCase() === 'body') {
      this.bodyCloseStart = this.html.lastIndexOf('<', start) + this.base
    }
  }

  oncomment(start: number, end: number, endOffset: number): void {
    if (this.inComment || !this.wantLinks) return
    const html = this.html
    const stop = end - endOffset
    // `[if mso]> ... <![endif]`: Outlook renders the inside, every other client skips it.
    if (stop - start < 14 || html.charCodeAt(start) !== 0x5b) return
    if (html.slice(start + 1, start + 3).toLowerCase() !== 'if') return
    if (html.slice(stop - 9, stop).toLowerCase() !== '<![endif]') return
    const open = html.indexOf(']>', start)
    if (open === -1 || open + 2 > stop - 9) return
    scanInto(html.slice(open + 2, stop - 9), this.base + open + 2, true, true, this.elements)
  }

  ontext = noop
  ontextentity = noop
  onattribentity = noop
  oncdata = noop
  ondeclaration = noop
  onprocessinginstruction = noop
  onend = noop
}

function scanInto(
  html: string,
  base: number,
  inComment: boolean,
  wantLinks: boolean,
  elements: FoundElement[],
): Scanner {
  const scanner = new Scanner(html, base, inComment, wantLinks, elements)
  const tokenizer = new Tokenizer({ decodeEntities: false }, scanner)
  tokenizer.write(html)
  tokenizer.end()
  return scanner
}

/**
 * Finds the link elements and the body tags of `html`, in document order. `wantLinks: false`
 * only looks for the body (open tracking without click tracking).
 */
export function scanHtml(html: string, wantLinks: boolean): ScanResult {
  const elements: FoundElement[] = []
  const scanner = scanInto(html, 0, false, wantLinks, elements)
  return { elements, bodyOpenEnd: scanner.bodyOpenEnd, bodyCloseStart: scanner.bodyCloseStart }
}
