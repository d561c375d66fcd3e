// Provider truth: for each resource type and input the library sends, what the upstream provider
// does with it, as read in the provider's own code (file and function cited on each row). A row
// exists only where that code was read. test/providerTruth.test.ts checks that every input the
// home stack and test/labs send has a row (or is listed in `unread`), and the change table
// (scripts/changeTable.ts) uses `replaces` to tell an update from a replacement.
//
// Versions read: bpg/terraform-provider-proxmox v0.111.1 (the pin in provider/go.mod of
// muhlba91/pulumi-proxmoxve 8.3.0, the newest release whose source was available; the package
// here is 8.6.0, whose pin could not be read, so a row may be out of date for changes after
// v0.111.1); kreuzwerker/terraform-provider-docker at its default branch (v4.5.0 era);
// pulumi/pulumi-command v1.2.1 (the package here is @pulumi/command 1.2.1).

/** When a change of the input makes the provider replace the resource. */
export type Replacement =
    /** Any change replaces (ForceNew, replaceOnChanges). */
    | "always"
    /** Updated in place. */
    | "never"
    /** Growing is in place; a smaller value replaces. */
    | "shrink";

export interface ProviderTruthRow {
    /** Pulumi type token, e.g. `proxmoxve:index/containerLegacy:ContainerLegacy`. */
    type: string;
    /** Input path in Pulumi's names: a top-level input, or a nested one such as `disk.size`. */
    input: string;
    /** What the library sends. */
    sent: string;
    /** What a change of it does. */
    replaces: Replacement;
    /** The provider behaviour relied on: read-back, force-new, normalization, computed default. */
    behaviour: string;
    /** Upstream repository, file and function where it was read. */
    cite: string;
}

const bpg = "bpg/terraform-provider-proxmox v0.111.1";
const lxc = `${bpg} proxmoxtf/resource/container/container.go`;
const vm = `${bpg} proxmoxtf/resource/vm/vm.go`;
const kreuzwerker = "kreuzwerker/terraform-provider-docker internal/provider";
const command = "pulumi/pulumi-command v1.2.1 provider/pkg/provider";

const ct = "proxmoxve:index/containerLegacy:ContainerLegacy";
const vmt = "proxmoxve:index/vmLegacy:VmLegacy";
const dc = "docker:index/container:Container";

/** Inputs of a type whose schema entry has no ForceNew (read in the schema function named). */
const inPlace = (type: string, inputs: string[], sent: string, cite: string): ProviderTruthRow[] =>
    inputs.map((input) => ({ type, input, sent, replaces: "never", behaviour: "no ForceNew on it or below it: updated in place", cite }));

export const rows: ProviderTruthRow[] = [
    // --- LXC containers (DockerHost lxc, LxcContainer) ---
    { type: ct, input: "nodeName", sent: "the node from config", replaces: "always", behaviour: "force-new", cite: `${lxc} Container(): node_name ForceNew` },
    { type: ct, input: "vmId", sent: "the id from config", replaces: "always", behaviour: "force-new when it differs from the resource id", cite: `${lxc} Container(): CustomizeDiff ForceNewIf(vm_id)` },
    {
        type: ct,
        input: "mountPoints",
        sent: "DockerHost: only the data volume at /var/lib/docker, at creation (ignoreChanges); share bind mounts and later sizes by container-mounts.sh",
        replaces: "always",
        behaviour:
            "force-new on the list (any added or removed mount point) and on size and volume; read-back: containerRead sets every mpN of the container, so bind mounts added with pct show as a diff too. Hence ignoreChanges on the block",
        cite: `${lxc} Container(): mount_point ForceNew, size ForceNew, volume ForceNew; containerRead: mount points from containerConfig.MountPoints`,
    },
    { type: ct, input: "operatingSystem.templateFileId", sent: "the downloaded template's volume id", replaces: "always", behaviour: "force-new; not read back (kept from state)", cite: `${lxc} Container(): template_file_id ForceNew; containerRead keeps it from the current state` },
    {
        type: ct,
        input: "operatingSystem.type",
        sent: "the template's distribution (debian, ubuntu, ...)",
        replaces: "never",
        behaviour: "read-back: containerRead sets it from the container's ostype, which Proxmox sets from the template; a different value sent is updated in place (containerUpdate sends OSType)",
        cite: `${lxc} containerRead (containerConfig.OSType), containerUpdate (HasChange(operating_system))`,
    },
    { type: ct, input: "unprivileged", sent: "true (DockerHost), config (LxcContainer)", replaces: "always", behaviour: "force-new", cite: `${lxc} Container(): unprivileged ForceNew` },
    { type: ct, input: "disk.datastoreId", sent: "the node's disk storage", replaces: "always", behaviour: "force-new", cite: `${lxc} Container(): disk datastore_id ForceNew` },
    { type: ct, input: "disk.size", sent: "rootDiskGb", replaces: "shrink", behaviour: "grown in place; a smaller size forces a new container", cite: `${lxc} Container(): CustomizeDiff ForceNewIf(disk) when oldSize > newSize` },
    {
        type: ct,
        input: "initialization.userAccount",
        sent: "the admin SSH public keys (DockerHost: at creation only, ignoreChanges; later keys by authorized-keys.sh)",
        replaces: "always",
        behaviour:
            "force-new (user_account and its keys); sent only at creation (containerCreateCustom: createBody.SSHKeys); no read-back: containerRead copies user_account from the state, so keys changed inside the container show no diff",
        cite: `${lxc} Container(): initialization user_account ForceNew, keys ForceNew; containerCreateCustom (SSHKeys); containerRead (initialization[user_account] = current state's)`,
    },
    ...inPlace(ct, ["initialization.hostname", "initialization.ipConfigs", "initialization.dns"], "hostname, addresses, DNS servers from config", `${lxc} Container(): initialization schema`),
    { type: ct, input: "clone", sent: "the template container's id (clones)", replaces: "always", behaviour: "force-new (clone and its fields)", cite: `${lxc} Container(): clone datastore_id, node_name, vm_id ForceNew` },
    {
        type: ct,
        input: "template",
        sent: "true for a template container",
        replaces: "always",
        behaviour: "force-new; read-back: containerRead sets it from the container's config, so a container made a template outside the resource (make-template.sh) shows a diff that would replace it",
        cite: `${lxc} Container(): template ForceNew; containerRead (containerConfig.Template)`,
    },
    {
        type: ct,
        input: "started",
        sent: "true",
        replaces: "never",
        behaviour: "in place; read-back: the running state is read back, and the diff is suppressed only once the state says template",
        cite: `${lxc} Container(): started DiffSuppressFunc (d.Get(template))`,
    },
    ...inPlace(ct, ["cpu", "memory", "features", "networkInterfaces", "description", "startOnBoot", "startup"], "sizes, features, NIC, boot settings from config", `${lxc} Container() schema`),

    // --- VMs (NasVm, DockerHost vm) ---
    { type: vmt, input: "vmId", sent: "the id from config", replaces: "always", behaviour: "force-new when it differs from the resource id", cite: `${vm} VM(): CustomizeDiff ForceNewIf(vm_id)` },
    { type: vmt, input: "nodeName", sent: "the node from config", replaces: "always", behaviour: "force-new unless migrate is set (it is not)", cite: `${vm} VM(): CustomizeDiff ForceNewIf(node_name, !migrate)` },
    { type: vmt, input: "disks.fileId", sent: "the cloud image (OS disk)", replaces: "always", behaviour: "force-new (NasVm ignores it: the image only seeds the OS disk)", cite: `${bpg} proxmoxtf/resource/vm/disk/schema.go Schema(): file_id ForceNew` },
    { type: vmt, input: "disks.size", sent: "osDiskGb, rootDiskGb + dataDiskGb", replaces: "never", behaviour: "grown in place; a smaller size is refused with an error (never a replacement)", cite: `${vm} vmPlanDiskLocationAndSizeChanges: "Cannot shrink"` },
    { type: vmt, input: "initialization.userDataFileId", sent: "the user-data snippet's id (stable: its file name is the hostname's)", replaces: "always", behaviour: "force-new", cite: `${vm} VM(): initialization user_data_file_id ForceNew` },
    ...inPlace(
        vmt,
        ["disks", "initialization", "agent", "cpu", "description", "memory", "name", "networkDevices", "onBoot", "operatingSystem", "scsiHardware", "serialDevices", "started", "startup", "stopOnDestroy", "tags"],
        "from config",
        `${vm} VM() schema (ForceNew only on amd_sev, clone.*, initialization *_data_file_id and type, vm_id)`,
    ),

    // --- Docker (kreuzwerker) ---
    ...["name", "image", "command", "entrypoints", "envs", "ports", "volumes", "networksAdvanced", "networkMode", "logDriver", "user", "capabilities", "devices", "labels", "privileged", "sysctls", "shmSize", "hosts", "cpus"].map(
        (input): ProviderTruthRow => ({ type: dc, input, sent: "from the app's catalog entry and config", replaces: "always", behaviour: "force-new", cite: `${kreuzwerker}/resource_docker_container.go resourceDockerContainer(): ForceNew` }),
    ),
    ...inPlace(dc, ["restart", "healthcheck", "memory"], "unless-stopped; the catalog's healthcheck; memory limit", `${kreuzwerker}/resource_docker_container.go resourceDockerContainer()`),
    ...["name", "driver", "internal", "ipamConfigs"].map(
        (input): ProviderTruthRow => ({ type: "docker:index/network:Network", input, sent: "apps / <app>-db network", replaces: "always", behaviour: "force-new", cite: `${kreuzwerker}/resource_docker_network.go resourceDockerNetwork(): ForceNew` }),
    ),
    { type: "docker:index/volume:Volume", input: "name", sent: "<app>-<volume>", replaces: "always", behaviour: "force-new", cite: `${kreuzwerker}/resource_docker_volume.go resourceDockerVolume(): name ForceNew` },
    { type: "docker:index/remoteImage:RemoteImage", input: "name", sent: "the pinned image", replaces: "always", behaviour: "force-new", cite: `${kreuzwerker}/resource_docker_image.go resourceDockerImage(): name ForceNew` },
    ...inPlace("docker:index/remoteImage:RemoteImage", ["keepLocally"], "true", `${kreuzwerker}/resource_docker_image.go resourceDockerImage()`),

    // --- Commands (pulumi-command) ---
    { type: "command:remote:Command", input: "triggers", sent: "values whose change must re-run the script", replaces: "always", behaviour: "replaceOnChanges: the create command runs again", cite: `${command}/common/inputs.go CommandInputs.Triggers (provider:"replaceOnChanges")` },
    ...inPlace("command:remote:Command", ["create", "update", "stdin", "connection", "logging"], "the script, its stdin, the SSH login", `${command}/remote/commandController.go Command.Update (runs update); cmd/pulumi-resource-command/schema.json (only triggers replaceOnChanges)`),
];

/**
 * `type input` pairs the library sends whose upstream code has NOT been read yet. Each is a
 * to-do: read the provider code, add a row above, remove it here. The test fails on an input in
 * neither list, so a new input cannot slip in silently.
 */
export const unread: string[] = [
    ..."accountId name policies status".split(" ").map((i) => `cloudflare:index/apiToken:ApiToken ${i}`),
    ..."comment content name proxied ttl type zoneId".split(" ").map((i) => `cloudflare:index/dnsRecord:DnsRecord ${i}`),
    ..."enabled mailnotification mode node pruneBackups schedule storage vmids all excludeIds id compress excludes resourceId".split(" ").map((i) => `proxmoxve:backup/job:Job ${i}`),
    ..."enabled ebtables input inputPolicy outputPolicy".split(" ").map((i) => `proxmoxve:cluster/firewallLegacy:FirewallLegacy ${i}`),
    ..."checksum checksumAlgorithm contentType datastoreId fileName nodeName overwrite url uploadTimeout overwriteUnmanaged".split(" ").map((i) => `proxmoxve:download/file:File ${i}`),
    ..."cidrs comment name".split(" ").map((i) => `proxmoxve:firewall/ipsetLegacy:IpsetLegacy ${i}`),
    ..."dhcp enabled inputPolicy macfilter nodeName outputPolicy vmId containerId ndp radv ipfilter".split(" ").map((i) => `proxmoxve:firewall/optionsLegacy:OptionsLegacy ${i}`),
    ..."nodeName rules vmId containerId".split(" ").map((i) => `proxmoxve:firewall/rulesLegacy:RulesLegacy ${i}`),
    ..."path propagate roleId userId tokenId".split(" ").map((i) => `proxmoxve:index/acl:Acl ${i}`),
    ..."contentType datastoreId nodeName sourceRaw".split(" ").map((i) => `proxmoxve:index/fileLegacy:FileLegacy ${i}`),
    ..."privileges roleId".split(" ").map((i) => `proxmoxve:index/roleLegacy:RoleLegacy ${i}`),
    ..."comment enabled userId".split(" ").map((i) => `proxmoxve:index/userLegacy:UserLegacy ${i}`),
    ..."address autostart comment name nodeName ports vlanAware gateway".split(" ").map((i) => `proxmoxve:network/linux/bridge:Bridge ${i}`),
    ..."contents nodes password server share cifsStorageId username storageId preallocation resourceId".split(" ").map((i) => `proxmoxve:storage/cifs:Cifs ${i}`),
    ..."comment privilegesSeparation tokenName userId".split(" ").map((i) => `proxmoxve:user/token:Token ${i}`),
    ..."apiToken".split(" ").map((i) => `pulumi:providers:cloudflare ${i}`),
    ..."host sshOpts registryAuth".split(" ").map((i) => `pulumi:providers:docker ${i}`),
    ..."apiToken endpoint insecure ssh".split(" ").map((i) => `pulumi:providers:proxmoxve ${i}`),
    ..."length special".split(" ").map((i) => `random:index/randomPassword:RandomPassword ${i}`),
    ..."comment group noFailback nodes restricted".split(" ").map((i) => `proxmoxve:index/hagroup:Hagroup ${i}`),
    ..."comment group maxRelocate maxRestart resourceId state".split(" ").map((i) => `proxmoxve:index/haresource:Haresource ${i}`),
    ..."comment resourceId schedule target type".split(" ").map((i) => `proxmoxve:index/replication:Replication ${i}`),
];

/** The most specific row for a changed input path (`disk.size`, `mountPoints[1].volume`), if any. */
export function rowFor(type: string, path: string): ProviderTruthRow | undefined {
    const bare = path.replace(/\[\d+\]/g, "");
    return rows
        .filter((r) => r.type === type && (bare === r.input || bare.startsWith(`${r.input}.`)))
        .sort((a, b) => b.input.length - a.input.length)[0];
}

/** Whether a top-level input of a type is covered: a row for it or below it, or listed unread. */
export function covered(type: string, input: string): "row" | "unread" | undefined {
    if (rows.some((r) => r.type === type && (r.input === input || r.input.startsWith(`${input}.`)))) {
        return "row";
    }
    return unread.includes(`${type} ${input}`) ? "unread" : undefined;
}
