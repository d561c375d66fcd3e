// A stand-in Docker host for App tests under the runtime mocks: a provider (which an App takes
// through its opts, `{ provider: host.provider }`), the apps' network and the shares it mounts.
import * as docker from "@pulumi/docker";
import { AppHost } from "../../components/app";

/** Call inside a mocked program: registers the host's provider (`host`) and network (`host-apps`). */
export function standInAppHost(sharePaths: Record<string, string> = { documents: "/mnt/documents", media: "/mnt/media", backups: "/mnt/backups" }): AppHost & { provider: docker.Provider } {
    const provider = new docker.Provider("host", { host: "ssh://root@192.168.1.4" });
    return {
        hostname: "docker",
        provider,
        appNetwork: new docker.Network("host-apps", { name: "apps" }, { provider }),
        sharePaths,
        dockerHostUrl: "ssh://root@192.168.1.4",
        sshOpts: ["-o", "BatchMode=yes"],
    };
}
