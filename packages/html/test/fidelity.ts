// Checks that an adaptHtml result changed nothing but the tracked href values and the pixel,
// with logic written independently of the package's own (and cheerio/parse5 as the oracle).
import { Configuration, getClickTrackingResult, getOpenTrackingResult } from '@pytrack/core'
import { load } from 'cheerio'
import { decodeHTMLAttribute } from 'entities'
import { expect } from 'vitest'
import type { AdaptHtmlResult } from '../src/index'

export const configuration: Configuration = new Configuration({
  baseOpenTrackingUrl: 'https://t.example.com/o/',
  baseClickTrackingUrl: 'https://t.example.com/c/',
})

function escapeForAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The input rebuilt from the output by putting back every original href value and removing the pixel. */
export function undoRewrites(input: string, result: AdaptHtmlResult): string {
  const pieces = result.links.map((link) => {
    const quoted = input[link.start - 1] === '"' || input[link.start - 1] === "'"
    const value = escapeForAttribute(link.trackingUrl)
    return { start: link.start, end: link.end, text: quoted ? value : `"${value}"` }
  })
  if (result.pixel) pieces.push({ start: result.pixel.start, end: result.pixel.end, text: result.pixel.html })
  pieces.sort((a, b) => a.start - b.start)
  // Walk the output: it must be input segments and exactly the expected replacements.
  let inputCursor = 0
  let outputCursor = 0
  let rebuilt = ''
  const output = result.html
  for (const piece of pieces) {
    const same = input.slice(inputCursor, piece.start)
    expect(output.slice(outputCursor, outputCursor + same.length)).toBe(same)
    outputCursor += same.length
    expect(output.slice(outputCursor, outputCursor + piece.text.length)).toBe(piece.text)
    outputCursor += piece.text.length
    rebuilt += same + input.slice(piece.start, piece.end)
    inputCursor = piece.end
  }
  expect(output.slice(outputCursor)).toBe(input.slice(inputCursor))
  return rebuilt + output.slice(outputCursor)
}

const HTML_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g

/** Byte fidelity and links that decode to where they pointed, on any input however broken. */
export function expectSpliced(input: string, result: AdaptHtmlResult, config: Configuration = configuration): void {
  expect(undoRewrites(input, result)).toBe(input)

  for (const link of result.links) {
    expect(input.slice(Math.max(0, link.start - 64), link.start)).toMatch(/[\s/"']href\s*=\s*["']?$/i)
    const original = decodeHTMLAttribute(input.slice(link.start, link.end)).replace(HTML_WHITESPACE, '').replace(/[\t\n\r]/g, '')
    expect(link.url).toBe(original)
    expect(getClickTrackingResult(link.trackingUrl, { configuration: config }).trackedUrl).toBe(original)
  }
  if (result.pixel) {
    expect(result.pixel.html).toMatch(/^<img src="[^"]+" width="1" height="1" alt="" border="0" style="[^"]*" \/>$/)
    expect(result.pixel.html).not.toMatch(/display\s*:\s*none/i)
    expect(getOpenTrackingResult(result.pixel.url, { configuration: config }).isOpenTracking).toBe(true)
  }
}

/** Everything a user relies on: {@link expectSpliced}, and a browser's parser sees the same links. */
export function expectFaithful(input: string, result: AdaptHtmlResult, config: Configuration = configuration): void {
  expectSpliced(input, result, config)

  // parse5 (cheerio's default parser) reads both documents the way a browser does: the same links,
  // each either unchanged or a tracking link to its original destination.
  const before = load(input)('a, area').toArray()
  const after = load(result.html)('a, area').toArray()
  expect(after.length).toBe(before.length)
  let changed = 0
  before.forEach((element, i) => {
    const was = element.attribs.href
    const now = after[i]!.attribs.href
    if (was === now) return
    changed++
    expect(was).toBeDefined()
    expect(getClickTrackingResult(now!, { configuration: config }).trackedUrl).toBe(was!.replace(HTML_WHITESPACE, '').replace(/[\t\n\r]/g, ''))
  })
  expect(changed).toBe(result.links.filter((link) => !link.inConditionalComment).length)
}
