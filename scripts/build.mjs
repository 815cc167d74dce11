#!/usr/bin/env node
// A package's `build` script: tsdown through its API, with the package's tsdown.config.ts. The
// same build as the `tsdown` command, without the notice that command prints on Node 20 ("is
// deprecated", once per package, six times a build) while Node 20 is a supported version here.
import { build } from 'tsdown'

await build({})
