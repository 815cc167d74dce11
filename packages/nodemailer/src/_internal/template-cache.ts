import type { Metadata } from '@pytrack/core'

interface Template<R> {
  render(metadata: Metadata): R
}

/** How many parts a cache remembers: enough for a few campaigns sent at once, small next to the mail itself. */
const SIZE = 8

/**
 * The parts (HTML or text) a plugin sent lately. A part seen for the first time is adapted
 * directly (compiling costs about 10% more than one adapt, wasted on a one-off message); seen
 * again, it is compiled, and every later message with it is only spliced. Least recently used
 * parts are forgotten first.
 */
export class TemplateCache<R> {
  private readonly entries = new Map<string, Template<R> | null>()
  private readonly compile: (source: string) => Template<R>
  private readonly adapt: (source: string, metadata: Metadata) => R

  constructor(compile: (source: string) => Template<R>, adapt: (source: string, metadata: Metadata) => R) {
    this.compile = compile
    this.adapt = adapt
  }

  render(source: string, metadata: Metadata): R {
    const entries = this.entries
    const seen = entries.get(source)
    if (seen === undefined) {
      entries.set(source, null)
      if (entries.size > SIZE) entries.delete(entries.keys().next().value!)
      return this.adapt(source, metadata)
    }
    const template = seen ?? this.compile(source)
    // Most recently used last.
    entries.delete(source)
    entries.set(source, template)
    return template.render(metadata)
  }
}
