/**
 * A change to an email part, at `input.slice(start, end)`: a fixed text (an opt-out marker taken
 * out), or one that differs per recipient: a tracked link's URL (`link`, its index among the
 * tracked links) or the open pixel (`link` -1).
 */
export interface Splice {
  start: number
  end: number
  /** The replacement when it is the same for every recipient, else null. */
  text: string | null
  link: number
  /** A link's href value was unquoted, so the new one needs quotes. */
  unquoted: boolean
}

/** The input with the splices (in order) applied; `dynamic` gives the text of those without a fixed one. */
export function applySplices(input: string, splices: readonly Splice[], dynamic: (splice: Splice) => string): string {
  if (splices.length === 0) return input
  let output = ''
  let cursor = 0
  for (const splice of splices) {
    output += input.slice(cursor, splice.start) + (splice.text ?? dynamic(splice))
    cursor = splice.end
  }
  return output + input.slice(cursor)
}

/**
 * The input cut at the splices that differ per recipient, the fixed ones applied: what stays
 * the same for everyone, one segment more than `dynamic`.
 */
export function staticSegments(input: string, splices: readonly Splice[]): { segments: string[]; dynamic: Splice[] } {
  const segments: string[] = []
  const dynamic: Splice[] = []
  let current = ''
  let cursor = 0
  for (const splice of splices) {
    current += input.slice(cursor, splice.start)
    cursor = splice.end
    if (splice.text !== null) {
      current += splice.text
      continue
    }
    segments.push(current)
    dynamic.push(splice)
    current = ''
  }
  segments.push(current + input.slice(cursor))
  return { segments, dynamic }
}
