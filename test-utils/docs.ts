// Checks the house rule "TSDoc with an @example on every export" with the TypeScript compiler.
import ts from 'typescript'

/**
 * The names exported by the module at `entry` (a package's `src/index.ts`) whose declaration
 * has no `@example` TSDoc tag, sorted.
 */
export function exportsWithoutExample(entry: string): string[] {
  const program = ts.createProgram([entry], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry)
  const module = source && checker.getSymbolAtLocation(source)
  if (!module) throw new Error(`cannot read the exports of ${entry}`)
  const missing: string[] = []
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const documented = (symbol.getDeclarations() ?? []).some((declaration) => {
      // A `const` carries its TSDoc on the statement, two levels up.
      const holder = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration
      return ts.getJSDocTags(holder).some((tag) => tag.tagName.text === 'example')
    })
    if (!documented) missing.push(exported.name)
  }
  return missing.sort()
}
