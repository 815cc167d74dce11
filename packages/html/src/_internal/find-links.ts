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
  /** The href value was written without quotes. */
  hrefUnquoted: boolean
  /** Every attribute of the tag, names lower-cased, values raw (entities not decoded); first occurrence wins. */
  rawAttributes: Map<string, string>
}

export interface FoundLinks {
  elements: FoundElement[]
  /** Offset just after the first `<body ...>` start tag, or -1. */
  bodyOpenEnd: number
  /** Offset of the `<` of the last `</body>` end tag, or -1. */
  bodyCloseStart: number
}

const enum Mode {
  /** Not inside a start tag we care about. */
  Skip,
  /** Inside the start tag of a possible link: collect its attributes. */
  Collect,
  /** Inside the `<body>` start tag. */
  Body,
  /** Inside the start tag of an element whose content browsers read as text (`<style>`, `<title>`...). */
  RawText,
  /** Inside a start tag htmlparser2 mistakes for a raw-text element (`<tmp>`, see below). */
  NotRawText,
}

const TAB = 0x09
const LF = 0x0a
const FF = 0x0c
const CR = 0x0d
const SPACE = 0x20
const BANG = 0x21
const DQUOTE = 0x22
const SQUOTE = 0x27
const DASH = 0x2d
const SLASH = 0x2f
const COLON = 0x3a
const EQUALS = 0x3d
const GT = 0x3e
const LEFT_BRACKET = 0x5b
const A = 0x61
const B = 0x62
const V = 0x76

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === CR || c === FF
}

/**
 * Elements whose content browsers read as text up to their end tag, whatever it holds
 * (`<noscript>` is left out: mail clients run no scripts, so its content is markup).
 */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext'])
/**
 * Those htmlparser2 reads as text too, up to `</name` and white space or `>`. Browsers also end
 * them at `</name/`, and start them at `<title/>`; the finder restarts the tokenizer there.
 */
const NATIVE_RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp'])
/** Tag names htmlparser2 10 reads as `<xmp>`, `<title>` and `<textarea>`: it matches them from the second letter. */
const MISTAKEN_RAW_TEXT = new Set(['tmp', 'xitle', 'xextarea'])
/** The names above, to compare without slicing every tag name. */
const SPECIAL_NAMES = [...RAW_TEXT, ...MISTAKEN_RAW_TEXT]

const NO_ATTRIBUTES: Map<string, string> = new Map()
const HREF = /href/i

/** `html` holds `name` (lower case) at `start`, in any case. */
function hasNameAt(html: string, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if ((html.charCodeAt(start + i) | 0x20) !== name.charCodeAt(i)) return false
  }
  return true
}

/**
 * Drives htmlparser2's Tokenizer (entities left alone, text ignored) over the original string
 * and records, as offsets, what the rewriter needs: link elements with their href value span,
 * the body start and end tags, and, with a tokenizer of their own, the links inside Outlook
 * conditional comments. Nothing is built or serialised; the caller splices new values in.
 *
 * Where htmlparser2 reads markup differently from browsers (the WHATWG tokenizer and tree
 * builder), the finder either gives it a same-length input that it reads as browsers read the
 * original (`--!>`, `<![CDATA[`: see tokenizerInput), or stops it and starts a new tokenizer
 * where a browser would be: after `<!>` and `<!->`, at the end tag of a raw-text element, after
 * an end tag whose quoted attributes hold `>`, after an `<!--!>` comment. Each restart moves
 * forward and re-reads at most what htmlparser2 had read past that point (after `<!>`: a
 * stretch without `>`, which no later restart re-reads), so the work stays linear in the size.
 */
class LinkFinder implements TokenizerCallbacks {
  bodyOpenEnd = -1
  bodyCloseStart = -1

  private readonly html: string
  private readonly base: number
  private readonly inComment: boolean
  private readonly wantLinks: boolean
  private readonly elements: FoundElement[]
  private tokenizer: Tokenizer | null = null
  /** Where the current tokenizer's offset 0 is in `html`. */
  private shift = 0
  /** Where the next tokenizer starts, or -1 while the current one reads on. */
  private restartAt = -1
  /** Where the raw-text element htmlparser2 is reading ends for browsers, or -1. */
  private rawTextUntil = -1

  private mode = Mode.Skip
  private tagName = ''
  private tagStart = -1
  private attributes: Map<string, string> = NO_ATTRIBUTES
  private attributeName = ''
  private hrefStart = -1
  private hrefEnd = -1
  private hrefUnquoted = false
  private dataStart = -1
  private dataEnd = -1

  constructor(html: string, base: number, inComment: boolean, wantLinks: boolean, elements: FoundElement[]) {
    this.html = html
    this.base = base
    this.inComment = inComment
    this.wantLinks = wantLinks
    this.elements = elements
  }

  run(): void {
    const html = this.html
    const input = tokenizerInput(html)
    let from = 0
    for (;;) {
      this.restartAt = -1
      this.rawTextUntil = -1
      this.shift = from
      this.mode = Mode.Skip
      // A new tokenizer each time: reset() keeps htmlparser2's raw-text flag.
      const tokenizer = new Tokenizer({ decodeEntities: false }, this)
      this.tokenizer = tokenizer
      // A slice of a flat string is a view in V8, not a copy.
      tokenizer.write(from === 0 ? input : input.slice(from))
      if (this.restartAt === -1) tokenizer.end()
      if (this.restartAt === -1 || this.restartAt >= html.length) return
      from = this.restartAt
    }
  }

  /** Stops the tokenizer; `run` starts a new one at `at` (an offset in `html`, past the current one). */
  private restart(at: number): void {
    this.restartAt = at
    this.tokenizer!.pause()
  }

  onopentagname(start: number, end: number): void {
    const html = this.html
    const s = start + this.shift
    const length = end - start
    const first = html.charCodeAt(s) | 0x20
    this.mode = Mode.Skip
    if (this.wantLinks) {
      if (length === 1 && first === A) {
        this.startCollecting('a', s - 1)
        return
      }
      if (length === 4 && first === A && hasNameAt(html, s, 'area')) {
        this.startCollecting('area', s - 1)
        return
      }
      if (this.inComment && length > 2 && first === V && html.charCodeAt(s + 1) === COLON) {
        this.startCollecting(html.slice(s, s + length).toLowerCase(), s - 1)
        return
      }
    }
    if (length === 4 && first === B) {
      if (!this.inComment && this.bodyOpenEnd === -1 && hasNameAt(html, s, 'body')) this.mode = Mode.Body
    } else if (length >= 3 && length <= 9) {
      for (const name of SPECIAL_NAMES) {
        if (name.length !== length || !hasNameAt(html, s, name)) continue
        this.mode = RAW_TEXT.has(name) ? Mode.RawText : Mode.NotRawText
        this.tagName = name
        break
      }
    }
  }

  private startCollecting(tagName: string, tagStart: number): void {
    this.mode = Mode.Collect
    this.tagName = tagName
    this.tagStart = tagStart
    this.attributes = new Map()
    this.hrefStart = -1
    this.hrefEnd = -1
    this.hrefUnquoted = false
  }

  onattribname(start: number, end: number): void {
    if (this.mode !== Mode.Collect) return
    this.attributeName = this.html.slice(start + this.shift, end + this.shift).toLowerCase()
    this.dataStart = -1
  }

  onattribdata(start: number, end: number): void {
    if (this.mode !== Mode.Collect) return
    if (this.dataStart === -1) this.dataStart = start + this.shift
    this.dataEnd = end + this.shift
  }

  onattribend(quote: QuoteType, end: number): void {
    if (this.mode !== Mode.Collect) return
    const name = this.attributeName
    // Browsers keep the first of duplicated attributes.
    if (this.attributes.has(name)) return
    const stop = end + this.shift
    let valueStart: number
    let valueEnd: number
    if (quote === QuoteType.Double || quote === QuoteType.Single) {
      valueEnd = stop - 1
      valueStart = this.dataStart === -1 ? valueEnd : this.dataStart
    } else if (quote === QuoteType.Unquoted) {
      valueStart = this.dataStart
      valueEnd = this.dataEnd
    } else {
      valueStart = valueEnd = stop
    }
    this.attributes.set(name, this.html.slice(valueStart, valueEnd))
    if (name === 'href') {
      this.hrefStart = valueStart
      this.hrefEnd = valueEnd
      this.hrefUnquoted = quote === QuoteType.Unquoted
    }
  }

  onopentagend(end: number): void {
    this.startTagEnd(end, false)
  }

  onselfclosingtag(end: number): void {
    this.startTagEnd(end, true)
  }

  private startTagEnd(end: number, selfClosing: boolean): void {
    const mode = this.mode
    if (mode === Mode.Skip) return
    this.mode = Mode.Skip
    const after = end + this.shift + 1
    if (mode === Mode.Collect) {
      this.finishElement()
    } else if (mode === Mode.Body) {
      this.bodyOpenEnd = after + this.base
    } else if (mode === Mode.RawText) {
      const name = this.tagName
      const textEnd = this.rawTextEnd(name, after)
      // `<title/>` still starts a raw-text element in browsers; htmlparser2 lets it go.
      if (selfClosing || !NATIVE_RAW_TEXT.has(name) || this.html.charCodeAt(textEnd + 2 + name.length) === SLASH) {
        this.restart(textEnd)
      } else {
        this.rawTextUntil = textEnd
      }
    } else {
      // htmlparser2 would now look for `</xmp`; a browser reads on as markup.
      this.restart(after)
    }
  }

  private finishElement(): void {
    const inComment = this.inComment
    const hasHref = this.hrefStart !== -1
    // Inside conditional comments only elements that carry an href matter (VML buttons).
    if (inComment && !hasHref) return
    const base = this.base
    this.elements.push({
      tagName: this.tagName,
      inConditionalComment: inComment,
      hrefStart: (hasHref ? this.hrefStart : this.tagStart) + base,
      hrefEnd: (hasHref ? this.hrefEnd : this.tagStart) + base,
      hasHref,
      hrefUnquoted: this.hrefUnquoted,
      rawAttributes: this.attributes,
    })
  }

  /** Where the text of a raw-text element ends: at its end tag's `<`, or at the end of the input. */
  private rawTextEnd(name: string, from: number): number {
    const html = this.html
    if (name === 'plaintext') return html.length
    let i = from
    for (;;) {
      const lt = html.indexOf('</', i)
      if (lt === -1) return html.length
      const end = lt + 2 + name.length
      if (hasNameAt(html, lt + 2, name)) {
        const c = html.charCodeAt(end)
        if (c === GT || c === SLASH || isSpace(c)) return lt
      }
      i = lt + 2
    }
  }

  onclosetag(start: number, end: number): void {
    const html = this.html
    const s = start + this.shift
    const e = end + this.shift
    if (this.rawTextUntil !== -1) {
      // The end of a raw-text element: htmlparser2 compares with `c | 0x20`, so control
      // characters can pass for `<` and `/` (`\x1c\x0fstyle>`); browsers read on.
      const textEnd = this.rawTextUntil
      this.rawTextUntil = -1
      if (s - 2 !== textEnd) {
        this.restart(textEnd)
        return
      }
    }
    // htmlparser2 skips white space after `</`; for browsers `</ body>` is a comment (both end at the next `>`).
    if (html.charCodeAt(s - 1) !== SLASH) return
    // htmlparser2 reads `/` as part of an end tag's name, browsers as its end.
    let nameEnd = s
    while (nameEnd < e && html.charCodeAt(nameEnd) !== SLASH) nameEnd++
    const isBody = !this.inComment && nameEnd - s === 4 && hasNameAt(html, s, 'body')
    if (nameEnd === e && html.charCodeAt(e) === GT) {
      if (isBody) this.bodyCloseStart = s - 2 + this.base
      return
    }
    // Browsers read attributes in end tags too, so a quoted `>` does not end one; htmlparser2
    // ends it at the first `>`.
    const tagEnd = endTagEnd(html, nameEnd)
    if (tagEnd === -1) {
      // Cut off by the end of the input: browsers drop the tag.
      this.restart(html.length)
      return
    }
    if (isBody) this.bodyCloseStart = s - 2 + this.base
    if (html.indexOf('>', e) !== tagEnd - 1) this.restart(tagEnd)
  }

  oncomment(start: number, end: number, endOffset: number): void {
    const html = this.html
    const s = start + this.shift
    // Bogus comments (`</3>`) end at the first `>` for both; `<!--` comments have a dash before `s`.
    if (html.charCodeAt(s - 1) !== DASH) return
    const gt = end + this.shift
    if (endOffset === 0) {
      // Cut off by the end of the input.
      this.comment(s, gt)
    } else if (html.charCodeAt(gt - 1) !== BANG) {
      // `-->`; `<!-->` and `<!--->` end where they start.
      this.comment(s, Math.max(s, gt - 2))
    } else if (gt - 3 >= s) {
      // `--!>`, which the tokenizer read as `--->` (see tokenizerInput).
      this.comment(s, gt - 3)
    } else {
      // `<!--!>` or `<!---!>`: the dashes of `--!>` open the comment, so browsers read on.
      const close = commentClose(html, s)
      this.comment(s, close === -1 ? html.length : close)
      this.restart(close === -1 ? html.length : html.indexOf('>', close) + 1)
    }
  }

  /** `[if mso]> ... <![endif]`: Outlook renders the inside, every other client skips it. */
  private comment(start: number, stop: number): void {
    if (this.inComment || !this.wantLinks) return
    const html = this.html
    if (stop - start < 14 || html.charCodeAt(start) !== LEFT_BRACKET) return
    if (html.slice(start + 1, start + 3).toLowerCase() !== 'if') return
    if (html.slice(stop - 9, stop).toLowerCase() !== '<![endif]') return
    // Searched within the comment only, so that many such comments stay linear.
    const open = html.slice(start, stop - 9).indexOf(']>') + start
    if (open < start) return
    const inside = html.slice(open + 2, stop - 9)
    // Only elements with an href are kept from inside; most conditional comments hold table markup.
    if (HREF.test(inside)) new LinkFinder(inside, this.base + open + 2, true, true, this.elements).run()
  }

  ondeclaration(start: number): void {
    const html = this.html
    const s = start + this.shift
    // htmlparser2 reads `<!>` and `<!->` on to the next `>`; browsers end them there.
    if (html.charCodeAt(s) === GT) this.restart(s + 1)
    else if (html.charCodeAt(s) === DASH && html.charCodeAt(s + 1) === GT) this.restart(s + 2)
  }

  ontext(): void {}
  ontextentity(): void {}
  onattribentity(): void {}
  onprocessinginstruction(): void {}
  oncdata(): void {}
  onend(): void {}
}

/**
 * What the tokenizer reads: `html` with two same-length edits where htmlparser2 and browsers
 * part ways. Browsers end a comment at `--!>` too, so it becomes `--->`, which htmlparser2 ends
 * it at (`oncomment` handles the `<!--!>` opening). Outside SVG and MathML, `<![CDATA[` opens a
 * bogus comment that ends at the first `>`, so its `[` is changed and htmlparser2 reads a
 * declaration, which ends there too. Offsets are unchanged; names and values are read from `html`.
 */
function tokenizerInput(html: string): string {
  let input = html
  if (input.includes('!>')) input = input.replaceAll('--!>', '--->')
  if (input.includes('CDATA[')) input = input.replaceAll('<![CDATA[', '<![CDATA_')
  return input
}

/**
 * Where a comment whose data starts at `from` ends for browsers: the offset of the dashes of its
 * `-->` or `--!>` (more dashes allowed), or -1 when it runs to the end of the input.
 */
function commentClose(html: string, from: number): number {
  let i = from
  for (;;) {
    const dashes = html.indexOf('--', i)
    if (dashes === -1) return -1
    let after = dashes + 2
    while (html.charCodeAt(after) === DASH) after++
    const c = html.charCodeAt(after)
    if (c === GT || (c === BANG && html.charCodeAt(after + 1) === GT)) return after - 2
    i = after
  }
}

/**
 * Where an end tag's attributes end, from just after its name: the offset after its `>`, or -1
 * at the end of the input. The WHATWG before/in/after attribute name and value states, values
 * skipped with `indexOf`.
 */
function endTagEnd(html: string, from: number): number {
  const length = html.length
  let i = from
  for (;;) {
    let c = html.charCodeAt(i)
    while (i < length && (isSpace(c) || c === SLASH)) c = html.charCodeAt(++i)
    if (i >= length) return -1
    if (c === GT) return i + 1
    // The name's first character may be `=`.
    i++
    while (i < length && !isSpace((c = html.charCodeAt(i))) && c !== SLASH && c !== GT && c !== EQUALS) i++
    while (i < length && isSpace((c = html.charCodeAt(i)))) i++
    if (c !== EQUALS || i >= length) continue
    i++
    while (i < length && isSpace((c = html.charCodeAt(i)))) i++
    if (i >= length) return -1
    if (c === DQUOTE || c === SQUOTE) {
      const close = html.indexOf(c === DQUOTE ? '"' : "'", i + 1)
      if (close === -1) return -1
      i = close + 1
    } else {
      while (i < length && !isSpace((c = html.charCodeAt(i))) && c !== GT) i++
    }
  }
}

/**
 * Finds the link elements and the body tags of `html`, in document order. `wantLinks: false`
 * only looks for the body (open tracking without click tracking).
 */
export function findLinks(html: string, wantLinks: boolean): FoundLinks {
  const elements: FoundElement[] = []
  const finder = new LinkFinder(html, 0, false, wantLinks, elements)
  finder.run()
  return { elements, bodyOpenEnd: finder.bodyOpenEnd, bodyCloseStart: finder.bodyCloseStart }
}
