// Routing: which tracking route a request target is on, and the token in it.

/** A request on a tracking route: which one, and the link's token (its last path segment). */
export interface Route {
  readonly isOpen: boolean
  readonly token: string
}

/**
 * The router for `<prefix>/<openRoute>/<token>` and `<prefix>/<clickRoute>/<token>` (with or
 * without a trailing slash, any query ignored). Without a prefix, the routes match under any
 * path (`/anything/open/<token>`), so the handler can be mounted anywhere. Takes origin-form
 * (`/path?query`) and absolute-form (`http://host/path`, as sent to proxies) targets; null for
 * anything else.
 */
export function createRouter(prefix: string | undefined, openRoute: string, clickRoute: string): (target: string) => Route | null {
  const openPath = `${prefix ?? ''}/${openRoute}`
  const clickPath = `${prefix ?? ''}/${clickRoute}`
  // The route is what comes before the token's slash: path[0, slash) ends with (or, with a
  // prefix, is) `<prefix>/<route>`. Compared in place, without slicing it out.
  const routeAt = (path: string, slash: number, route: string): boolean =>
    (prefix === undefined ? slash >= route.length : slash === route.length) && path.startsWith(route, slash - route.length)

  return (target) => {
    const query = target.indexOf('?')
    let path = query === -1 ? target : target.slice(0, query)
    if (path.charCodeAt(0) !== 0x2f) {
      const scheme = path.indexOf('://')
      if (scheme === -1) return null
      const slash = path.indexOf('/', scheme + 3)
      if (slash === -1) return null
      path = path.slice(slash)
    }
    let end = path.length
    if (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--
    const slash = path.lastIndexOf('/', end - 1)
    if (slash <= 0 || slash === end - 1) return null
    let isOpen: boolean
    if (routeAt(path, slash, openPath)) isOpen = true
    else if (routeAt(path, slash, clickPath)) isOpen = false
    else return null
    return { isOpen, token: path.slice(slash + 1, end) }
  }
}
