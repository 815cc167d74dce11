import { packageBuild } from '../../tsdown.base'

// ESM only: a server and its CLI.
export default packageBuild(['src/index.ts', 'src/cli.ts'], { format: ['esm'] })
