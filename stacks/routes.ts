// Where apps and the proxy run and where the proxy reaches an app on another Docker host: rules
// that never depend on the order of a list, shared by lab.ts (which places and publishes) and
// validate.ts (which refuses what they cannot decide).
import { createHash } from "crypto";

/** The range of default route ports: `firstRoutePort` up to `firstRoutePort + routePortRange - 1`. */
export const firstRoutePort = 20000;
export const routePortRange = 10000;

/**
 * The default host port of a remote app's route: derived from the app's name alone (a hash into
 * 20000-29999), so that adding, removing or reordering other apps never moves it (a published
 * port that moves replaces the container). Two names may land on one port: validate.ts refuses
 * that, and the fix is an explicit `routePort`.
 */
export function defaultRoutePort(name: string): number {
    return firstRoutePort + (createHash("sha256").update(name).digest().readUInt32BE(0) % routePortRange);
}

/**
 * The Docker host of an app or the proxy that names none: the proxy's host when the config names
 * one of `hostnames`, else the only Docker host. Undefined when there are several and no proxy host: the config
 * must then name each app's host (validate.ts says so), since "the first host" would move
 * everything when the list is reordered.
 */
export function defaultDockerHost(hostnames: readonly string[], proxyHost?: string): string | undefined {
    // A proxy host that does not exist is validation's error, not the apps' default.
    return proxyHost !== undefined && hostnames.includes(proxyHost) ? proxyHost : hostnames.length === 1 ? hostnames[0] : undefined;
}
