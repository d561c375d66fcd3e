// The Docker host the component tests build: an LXC host on proxmox1 at 192.168.1.4, with the
// proxmoxve provider passed through opts, the way Pulumi passes providers.
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { DockerHostArgs } from "../../components/dockerHost";

/** The provider, made inside each mocked program (never at import). */
export const pve = (): pulumi.ComponentResourceOptions => ({ provider: new proxmoxve.Provider("pve", { endpoint: "https://192.168.1.6:8006/" }) });

/** A DockerHost's args, with `over` on top. */
export const dockerHostArgs = (over: Partial<DockerHostArgs> = {}): DockerHostArgs => ({
    nodeName: "proxmox1",
    nodeAddress: "192.168.1.6",
    vmId: 101,
    imageId: "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst",
    ipv4: "192.168.1.4/24",
    gateway: "192.168.1.1",
    cores: 3,
    memoryMb: 4096,
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop"],
    sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----"),
    ...over,
});
