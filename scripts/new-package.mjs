#!/usr/bin/env node
// Writes the skeleton of a workspace package: node scripts/new-package.mjs <name> "<description>" [subpath ...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'

const [name, description, ...subpaths] = process.argv.slice(2)
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>" [subpath ...]')
  process.exit(2)
}
const dir = `packages/${name}`
mkdirSync(`${dir}/src`, { recursive: true })

const entry = (file) => ({
  import: { types: `./dist/${file}.d.mts`, default: `./dist/${file}.mjs` },
  require: { types: `./dist/${file}.d.cts`, default: `./dist/${file}.cjs` },
})
const exports = { '.': entry('index') }
for (const sub of subpaths) exports[`./${sub}`] = entry(sub)
exports['./package.json'] = './package.json'

const pkg = {
  name: `@pytrack/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports,
  main: './dist/index.cjs',
  module: './dist/index.mjs',
  types: './dist/index.d.cts',
  files: ['dist'],
  engines: { node: '>=20.11' },
  scripts: {
    build: 'node ../../scripts/build.mjs',
    typecheck: 'tsc -p tsconfig.json',
    'lint:package': 'publint --strict && attw --pack . --profile node16',
  },
  publishConfig: { access: 'public' },
}
if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`)
writeFileSync(
  `${dir}/tsconfig.json`,
  `${JSON.stringify({ extends: '../../tsconfig.json', include: ['src', 'bench', 'test'] }, null, 2)}\n`,
)
const entries = ['src/index.ts', ...subpaths.map((s) => `src/${s}.ts`)]
writeFileSync(
  `${dir}/tsdown.config.ts`,
  `import { packageBuild } from '../../tsdown.base'\n\nexport default packageBuild(${JSON.stringify(entries)})\n`,
)
console.log(`wrote ${dir}`)
