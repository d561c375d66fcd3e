// The whole lab from one validated config: hypervisor, NAS, Docker hosts, apps, proxy and DNS.
// Dependencies are only the real ones, so that independent parts provision in parallel.
import * as pulumi from "@pulumi/pulumi";
import { BackupJob } from "../components/backupJob";
import { NasVm } from "../components/nasVm";
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

    // --- NAS ---
    // Docker hosts mount its shares and backups go to its `backups` share: wait for `nas.samba`.
    let nas: NasVm | undefined;
    if (cfg.nas) {
        const n = cfg.nas;
        const node = n.node ?? cfg.nodes[0].name;
        const nodeCfg = cfg.nodes.find((x) => x.name === node)!;
        // validate.ts guarantees the network exists and has a bridge.
        const net = cfg.networks.find((x) => x.name === n.network)!;
        const prefix = (cidr: string) => Number(cidr.split("/")[1]);
        // A bridge this stack creates must exist before the VM joins it; the image id already
        // carries the dependency on its download.
        const bridge = hypervisor.bridges[node]?.[net.bridge!];
        nas = new NasVm(
            n.hostname,
            {
                node,
                vmId: n.vmId,
                hostname: n.hostname,
                cores: n.cores,
                memoryMb: n.memoryMb,
                osDiskGb: n.osDiskGb,
                diskStorage: nodeCfg.diskStorage,
                fileStorage: nodeCfg.fileStorage,
                imageId: hypervisor.imageId(n.image, node),
                network: {
                    bridge: net.bridge!,
                    vlan: net.vlan,
                    address: n.address,
                    prefixLength: prefix(net.cidr),
                    gateway: net.gateway,
                    dns: net.dns,
                    domain: cfg.domain,
                    ipv6: n.ipv6 !== undefined && net.ipv6 ? { address: n.ipv6, prefixLength: prefix(net.ipv6.cidr), gateway: net.ipv6.gateway } : undefined,
                },
                disks: n.disks,
                controllerMapping: n.controllerMapping,
                raid: { mount: n.mount, mailTo: n.mailTo },
                users: n.users.map((u) => ({ name: u.name, password: secret(u.password) })),
                shares: n.shares,
                ssh: { publicKeys: cfg.ssh.publicKeys, privateKey: sshPrivateKey },
                provider: hypervisor.provider,
            },
            { dependsOn: bridge ? [bridge] : [] },
        );
    }
    void nas; // read by the Docker host and backup regions once they use it

    // --- Docker hosts and apps ---

    // --- Reverse proxy and DNS ---

    // --- Backups ---
    if (cfg.backup) {
        const b = cfg.backup;
        const byName = new Map([...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers].map((g) => [g.hostname, g.vmId]));
        const exclude = b.exclude ?? (cfg.nas ? [cfg.nas.hostname] : []);
        const share = "share" in b.target ? b.target : undefined;
        const password = share && cfg.nas?.users.find((u) => u.name === share.user)?.password;
        new BackupJob(
            "backup",
            {
                target:
                    share && cfg.nas && password
                        ? { cifs: { storageId: `nas-${share.share}`, server: cfg.nas.address, share: share.share, username: share.user, password: secret(password) } }
                        : { storage: "storage" in b.target ? b.target.storage : "local" },
                nodes: cfg.nodes.map((n) => n.name),
                schedule: b.schedule,
                mode: b.mode,
                keepDaily: b.keepDaily,
                keepWeekly: b.keepWeekly,
                keepMonthly: b.keepMonthly,
                excludeIds: exclude.map((h) => byName.get(h)!),
                nas: cfg.nas && exclude.includes(cfg.nas.hostname) ? { vmId: cfg.nas.vmId, storage: b.nasStorage, schedule: b.nasSchedule } : undefined,
                provider: hypervisor.provider,
            },
        );
    }

    return {
        routes: [],
        guestApiToken: hypervisor.guestApiToken,
    };
}
