import { parseArgs, type ParseArgsConfig } from 'node:util'

/** One command-line option: parseArgs' own description plus the word shown for its value. */
export interface FlagSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** The value's placeholder in messages and help, such as `PORT`. */
  arg?: string
}

/** The values parseArgs gives for `O`, and the positional arguments. */
export interface ParsedFlags<O extends Record<string, FlagSpec>> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }
  positionals: string[]
}

/** A command line that does not parse, said in the CLI's words (parseArgs' own messages speak about its API). */
export class FlagError extends Error {
  override readonly name = 'FlagError'
}

function names(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(specs)
    .map(([name, spec]) => `--${name}${spec.short === undefined ? '' : ` (-${spec.short})`}`)
    .join(', ')
}

/**
 * Parses `args` with node:util parseArgs, first checking each token itself so that a mistake
 * is said in terms of what the user typed: an unknown option and the ones the command takes,
 * an option that needs a value (also when the next word is another option), a switch given a value.
 */
export function parseFlags<O extends Record<string, FlagSpec>>(command: string, args: readonly string[], specs: O): ParsedFlags<O> {
  const options = specs as NonNullable<ParseArgsConfig['options']>
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = specs[token.name]
    if (spec === undefined) {
      throw new FlagError(`unknown option ${token.rawName} for ${command}; it takes ${names(specs)}`)
    }
    const example = `${token.rawName} ${spec.arg ?? 'VALUE'}`
    if (spec.type === 'string' && (token.value === undefined || (token.inlineValue === false && token.value.startsWith('-')))) {
      const next = token.value === undefined ? '' : `; "${token.value}" is taken for another option (write a value that starts with - as --${token.name}=-...)`
      throw new FlagError(`${token.rawName} needs a value, as in: ${example}${next}`)
    }
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new FlagError(`${token.rawName} takes no value; got "${token.rawName}=${token.value}"`)
    }
  }
  const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true })
  return { values: values as ParsedFlags<O>['values'], positionals }
}
