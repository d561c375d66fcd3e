// Where the proxy reaches an app on another Docker host than its own: a port published on that
// host's LAN address. Shared by lab.ts (which publishes it) and validate.ts (which refuses clashes).

/** First default route port; an app's default is this plus its place among its host's remote apps. */
export const firstRoutePort = 8000;

/**
 * The default host port of a remote app's route: 8000 + the app's place, by name, among the
 * remote apps of its host (`namesOnHost`, the app's own name included). Apps with an explicit
 * `routePort` keep their place in the order, so a default may equal someone's explicit port:
 * validate.ts refuses that.
 */
export function defaultRoutePort(name: string, namesOnHost: readonly string[]): number {
    return firstRoutePort + [...namesOnHost].sort().indexOf(name);
}
