// TypeDoc over every package (docs/api): each package's entry points are the subpaths of its
// package.json exports (as its build's, tsdown.base.ts), so a new subpath needs no line here.
import { readdirSync, readFileSync } from 'node:fs'

const subpaths = new Set(['index'])
for (const name of readdirSync(new URL('packages/', import.meta.url))) {
  const manifest = JSON.parse(readFileSync(new URL(`packages/${name}/package.json`, import.meta.url), 'utf8'))
  for (const subpath of Object.keys(manifest.exports ?? {})) if (subpath.startsWith('./') && subpath !== './package.json') subpaths.add(subpath.slice(2))
}

/** @type {import('typedoc').TypeDocOptions} */
const config = {
  "$schema": "https://typedoc.org/schema.json",
  "name": "pytrack API reference",
  "entryPointStrategy": "packages",
  "entryPoints": [
    "packages/*"
  ],
  "packageOptions": {
    "tsconfig": "tsconfig.json",
    "readme": "none",
    "disableSources": true,
    "excludePrivate": true,
    "excludeInternal": true,
    "skipErrorChecking": true,
    "validation": {
      "notExported": true,
      "invalidLink": true,
      "rewrittenLink": true,
      "notDocumented": true
    }
  },
  "plugin": [
    "typedoc-plugin-markdown"
  ],
  "out": "docs/api",
  "readme": "none",
  "disableSources": true,
  "hidePageHeader": true
}

config.packageOptions.entryPoints = [`src/@(${[...subpaths].join('|')}).ts`]

export default config
