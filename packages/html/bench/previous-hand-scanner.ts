// The scanner @pytrack/html used before it went back to htmlparser2's Tokenizer (commit d899fd4),
// kept only so that `pnpm bench` can compare the two. Not part of the package.
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

export interface ScanResult {
  elements: FoundElement[]
  /** Offset just after the first `<body ...>` start tag, or -1. */
  bodyOpenEnd: number
  /** Offset of the `<` of the last `</body>` end tag, or -1. */
  bodyCloseStart: number
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
const EQUALS = 0x3d
const GT = 0x3e
const QUESTION = 0x3f

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === CR || c === FF
}

function isAlpha(c: number): boolean {
  const lower = c | 0x20
  return lower >= 0x61 && lower <= 0x7a
}

/** Elements whose content the HTML tokenizer reads as text up to their end tag. */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes'])

/**
 * A scanner that follows the WHATWG HTML tokenizer closely enough to find, in the original
 * string, what the rewriter needs: the start tags of link elements with their attribute spans,
 * the body tags, and the comments (Outlook conditional comments are scanned again, inside).
 * It never builds tokens or a tree: text, comments and attribute values are skipped with
 * `indexOf`, so the cost grows with the number of tags, not of bytes. Linear: every character
 * is visited a bounded number of times.
 */
class Scanner {
  readonly elements: FoundElement[]
  bodyOpenEnd = -1
  bodyCloseStart = -1

  private readonly html: string
  private readonly length: number
  private readonly base: number
  private readonly inComment: boolean
  private readonly wantLinks: boolean
  private hrefStart = -1
  private hrefEnd = -1
  private hrefUnquoted = false

  constructor(html: string, base: number, inComment: boolean, wantLinks: boolean, elements: FoundElement[]) {
    this.html = html
    this.length = html.length
    this.base = base
    this.inComment = inComment
    this.wantLinks = wantLinks
    this.elements = elements
  }

  run(): void {
    const html = this.html
    const length = this.length
    let i = 0
    while (i < length) {
      const lt = html.indexOf('<', i)
      if (lt === -1 || lt + 1 >= length) return
      const c = html.charCodeAt(lt + 1)
      if (isAlpha(c)) i = this.startTag(lt)
      else if (c === SLASH) i = this.endTag(lt)
      else if (c === BANG) i = this.markupDeclaration(lt)
      else if (c === QUESTION) i = this.bogusComment(lt + 2)
      else i = lt + 1
    }
  }

  /** Skips to just after the next `>` (bogus comments, doctypes, `<?...>`, `<![CDATA[...>` outside SVG/MathML). */
  private bogusComment(from: number): number {
    const gt = this.html.indexOf('>', from)
    return gt === -1 ? this.length : gt + 1
  }

  private markupDeclaration(lt: number): number {
    const html = this.html
    if (html.charCodeAt(lt + 2) !== DASH || html.charCodeAt(lt + 3) !== DASH) return this.bogusComment(lt + 2)
    const start = lt + 4
    // `<!-->` and `<!--->` are complete (empty) comments.
    if (html.charCodeAt(start) === GT) return start + 1
    if (html.charCodeAt(start) === DASH && html.charCodeAt(start + 1) === GT) return start + 2
    let from = start
    for (;;) {
      const dashes = html.indexOf('--', from)
      if (dashes === -1) {
        this.comment(start, this.length)
        return this.length
      }
      let after = dashes + 2
      while (html.charCodeAt(after) === DASH) after++
      const c = html.charCodeAt(after)
      if (c === GT) {
        this.comment(start, after - 2)
        return after + 1
      }
      if (c === BANG && html.charCodeAt(after + 1) === GT) {
        this.comment(start, after - 2)
        return after + 2
      }
      from = after
    }
  }

  /** `[if mso]> ... <![endif]`: Outlook renders the inside, every other client skips it. */
  private comment(start: number, stop: number): void {
    if (this.inComment || !this.wantLinks) return
    const html = this.html
    if (stop - start < 14 || html.charCodeAt(start) !== 0x5b) return
    if (html.slice(start + 1, start + 3).toLowerCase() !== 'if') return
    if (html.slice(stop - 9, stop).toLowerCase() !== '<![endif]') return
    // Searched within the comment only, so that many such comments stay linear.
    const open = html.slice(start, stop - 9).indexOf(']>') + start
    if (open < start) return
    new Scanner(html.slice(open + 2, stop - 9), this.base + open + 2, true, true, this.elements).run()
  }

  /** Reads a tag name from `from`; returns its end. */
  private tagNameEnd(from: number): number {
    const html = this.html
    const length = this.length
    let i = from
    while (i < length) {
      const c = html.charCodeAt(i)
      if (c === GT || c === SLASH || isSpace(c)) break
      i++
    }
    return i
  }

  private startTag(lt: number): number {
    const html = this.html
    const nameEnd = this.tagNameEnd(lt + 1)
    let name: string | null = null
    let collect = false
    if (nameEnd - lt - 1 <= 10) {
      name = html.slice(lt + 1, nameEnd).toLowerCase()
      collect = this.wantLinks && (name === 'a' || name === 'area' || (this.inComment && name.startsWith('v:')))
    } else if (this.inComment && this.wantLinks && (html.charCodeAt(lt + 1) | 0x20) === 0x76 && html.charCodeAt(lt + 2) === 0x3a) {
      name = html.slice(lt + 1, nameEnd).toLowerCase()
      collect = true
    }
    const attributes = collect ? new Map<string, string>() : null
    const end = this.attributesEnd(nameEnd, attributes)
    // A tag cut off by the end of the input is dropped, as browsers do.
    if (end === -1) return this.length
    if (attributes !== null) this.link(name!, lt, attributes)
    if (name === null) return end
    if (name === 'body' && !this.inComment) {
      if (this.bodyOpenEnd === -1) this.bodyOpenEnd = end + this.base
      return end
    }
    if (name === 'plaintext') return this.length
    return RAW_TEXT.has(name) ? this.rawTextEnd(name, end) : end
  }

  /**
   * Walks the attributes from `from` (the tokenizer's before-attribute-name, attribute-name,
   * after-attribute-name, before/in/after-attribute-value and self-closing states) and returns
   * the offset just after the tag's `>`, or -1 at the end of the input. Fills `attributes`, when
   * given, and the href fields.
   */
  private attributesEnd(from: number, attributes: Map<string, string> | null): number {
    const html = this.html
    const length = this.length
    this.hrefStart = -1
    let i = from
    for (;;) {
      while (i < length && isSpace(html.charCodeAt(i))) i++
      if (i >= length) return -1
      let c = html.charCodeAt(i)
      if (c === GT) return i + 1
      if (c === SLASH) {
        i++
        continue
      }
      // Attribute name; a leading `=` belongs to the name.
      const nameStart = i
      i++
      while (i < length) {
        c = html.charCodeAt(i)
        if (c === GT || c === SLASH || c === EQUALS || isSpace(c)) break
        i++
      }
      const nameEnd = i
      while (i < length && isSpace(html.charCodeAt(i))) i++
      let valueStart = i
      let valueEnd = i
      let unquoted = false
      if (html.charCodeAt(i) === EQUALS) {
        i++
        while (i < length && isSpace(html.charCodeAt(i))) i++
        if (i >= length) return -1
        c = html.charCodeAt(i)
        if (c === DQUOTE || c === SQUOTE) {
          const close = html.indexOf(c === DQUOTE ? '"' : "'", i + 1)
          if (close === -1) return -1
          valueStart = i + 1
          valueEnd = close
          i = close + 1
        } else if (c !== GT) {
          valueStart = i
          while (i < length) {
            c = html.charCodeAt(i)
            if (c === GT || isSpace(c)) break
            i++
          }
          valueEnd = i
          unquoted = true
        } else {
          valueStart = valueEnd = i
        }
      }
      if (attributes !== null) {
        const name = html.slice(nameStart, nameEnd).toLowerCase()
        // Browsers keep the first of duplicated attributes.
        if (!attributes.has(name)) {
          attributes.set(name, html.slice(valueStart, valueEnd))
          if (name === 'href') {
            this.hrefStart = valueStart
            this.hrefEnd = valueEnd
            this.hrefUnquoted = unquoted
          }
        }
      }
    }
  }

  private link(tagName: string, lt: number, attributes: Map<string, string>): void {
    const hasHref = this.hrefStart !== -1
    // Inside conditional comments only elements that carry an href matter (VML buttons).
    if (this.inComment && !hasHref) return
    const base = this.base
    this.elements.push({
      tagName,
      inConditionalComment: this.inComment,
      hrefStart: (hasHref ? this.hrefStart : lt) + base,
      hrefEnd: (hasHref ? this.hrefEnd : lt) + base,
      hasHref,
      hrefUnquoted: hasHref && this.hrefUnquoted,
      rawAttributes: attributes,
    })
  }

  /** Where the text of a raw-text element (`<script>`, `<style>`, `<title>`...) ends: at its end tag's `<`. */
  private rawTextEnd(name: string, from: number): number {
    const html = this.html
    let i = from
    for (;;) {
      const lt = html.indexOf('</', i)
      if (lt === -1) return this.length
      const end = lt + 2 + name.length
      if (html.slice(lt + 2, end).toLowerCase() === name) {
        const c = html.charCodeAt(end)
        if (c === GT || c === SLASH || isSpace(c)) return lt
      }
      i = lt + 2
    }
  }

  private endTag(lt: number): number {
    const html = this.html
    const c = html.charCodeAt(lt + 2)
    if (c === GT) return lt + 3
    if (!isAlpha(c)) return this.bogusComment(lt + 2)
    const nameEnd = this.tagNameEnd(lt + 2)
    // End tags may carry (ignored) attributes, whose quoted values can hold `>`.
    const end = this.attributesEnd(nameEnd, null)
    if (end === -1) return this.length
    if (!this.inComment && nameEnd - lt === 6 && html.slice(lt + 2, nameEnd).toLowerCase() === 'body') {
      this.bodyCloseStart = lt + this.base
    }
    return end
  }
}

/**
 * Finds the link elements and the body tags of `html`, in document order. `wantLinks: false`
 * only looks for the body (open tracking without click tracking).
 */
export function scanHtml(html: string, wantLinks: boolean): ScanResult {
  const elements: FoundElement[] = []
  const scanner = new Scanner(html, 0, false, wantLinks, elements)
  scanner.run()
  return { elements, bodyOpenEnd: scanner.bodyOpenEnd, bodyCloseStart: scanner.bodyCloseStart }
}
