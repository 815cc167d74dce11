import { packageBuild } from '../../tsdown.base'

// ESM only, like the server it plugs into.
export default packageBuild(['src/index.ts'], { format: ['esm'] })
