import { exportedEntries, packageBuild } from '../../tsdown.base'

// One entry point per subpath of package.json's exports.
export default packageBuild(exportedEntries(import.meta.url))
