// README code blocks, so a test can run (and type-check) them exactly as a reader copies them.
import { readFileSync } from 'node:fs'
import ts from 'typescript'

/** The fenced code blocks of the Markdown file at `path`, with their info string (`ts`, `sh`...). */
export function codeBlocks(path: string): { lang: string; code: string }[] {
  const blocks: { lang: string; code: string }[] = []
  for (const match of readFileSync(path, 'utf8').matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    blocks.push({ lang: match[1]!.trim(), code: match[2]! })
  }
  return blocks
}

/** The one code block of `path` that contains `text`; throws when none or several do. */
export function codeBlockWith(path: string, text: string): string {
  const found = codeBlocks(path).filter((block) => block.code.includes(text))
  if (found.length !== 1) throw new Error(`${path} has ${found.length} code blocks with ${JSON.stringify(text)}, expected one`)
  return found[0]!.code
}

/**
 * The type errors of `file` (strict, as a reader's project would check it), with `options` for
 * the runtime's types, e.g. `{ types: ['bun'], typeRoots: [...] }`. Empty when it type-checks.
 */
export function typeErrors(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    ...options,
  })
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
}
