// What a guest is set up with after it is made (packages, files, commands), and the two ways it
// reaches a guest: a spec for provision.sh inside an LXC (lxcContainer/provision.sh), and
// cloud-init user data for a VM. Pure functions: the components and validate.ts call them.
import * as pulumi from "@pulumi/pulumi";
import type { LxcOsType } from "./lxcContainer";

/** A file put on the guest. */
export interface ProvisionFile {
    /** Absolute path of plain names, e.g. /etc/motd. */
    path: pulumi.Input<string>;
    /** The whole content; a secret (`pulumi.secret`) keeps the rendered set-up secret. */
    content: pulumi.Input<string>;
    /** Octal mode. Defaults to 0644. */
    mode?: pulumi.Input<string>;
    /** `user` or `user:group`. Defaults to root:root. */
    owner?: pulumi.Input<string>;
}

/**
 * How a guest is set up after it is made. Every part defaults to nothing. A value from an Output
 * is checked (provisionProblems) and rendered once known; a plain one is checked at construction.
 */
export interface ProvisionArgs {
    /** Distribution packages, installed when missing (never removed). */
    packages?: pulumi.Input<pulumi.Input<string>[]>;
    /** Files the guest must hold exactly. */
    files?: ProvisionFile[];
    /** Shell commands, run in order (again whenever the provisioning changes). */
    run?: pulumi.Input<pulumi.Input<string>[]>;
}

/** A provisioning with every value known: what the renderers take. */
export type KnownProvisionArgs = pulumi.UnwrappedObject<ProvisionArgs>;

/**
 * Distributions provision.sh knows the package manager of: apt (debian, ubuntu), apk (alpine), dnf
 * (fedora, centos: the CentOS Stream templates), zypper (opensuse), each installing by name without
 * a prompt. Not archlinux: Proxmox's appliance index no longer offers its template, whose pacman
 * keyring had to be set up by hand, and `pacman -Sy <pkg>` is a partial upgrade Arch does not
 * support. Only the apt path is run by this repository's tests (Debian under systemd-nspawn).
 */
export const provisionOsTypes: readonly LxcOsType[] = ["debian", "ubuntu", "alpine", "fedora", "centos", "opensuse"];

/** Why a guest of this distribution cannot be provisioned, with the fix; undefined when it can. */
export function provisionOsRule(os: string): string | undefined {
    if (provisionOsTypes.includes(os as LxcOsType)) {
        return undefined;
    }
    return `cannot provision a '${os}' guest: packages are installed with apt, apk, dnf or zypper (${provisionOsTypes.join(", ")}); configure it another way or remove provision`;
}

const packagePattern = /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/;
/** A Debian (and Ubuntu) package name, as Debian Policy 5.6.1 allows it: lower case, at least two characters. */
export const debianPackagePattern = /^[a-z0-9][a-z0-9.+-]+$/;
const pathPattern = /^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;
const modePattern = /^0?[0-7]{3,4}$/;
const ownerPattern = /^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/;

/** The elements of a list given as a plain array, each with its index; none of a list still to come. */
const listed = <T>(list: pulumi.Input<pulumi.Input<T>[]> | undefined): [pulumi.Input<T>, number][] => (Array.isArray(list) ? list.map((v, i) => [v, i]) : []);

/**
 * Every problem of a provisioning, as `field: message` pairs (field relative to the provisioning).
 * With `os` debian or ubuntu, package names follow Debian's stricter rule. Values not known yet
 * (Outputs) are left out: the components check them again once known.
 */
export function provisionProblems(p: ProvisionArgs, os?: LxcOsType): { field: string; message: string }[] {
    const out: { field: string; message: string }[] = [];
    const debian = os === "debian" || os === "ubuntu";
    listed(p.packages).forEach(([name, i]) => {
        if (typeof name !== "string") {
            return;
        }
        if (debian && packagePattern.test(name) && !debianPackagePattern.test(name)) {
            out.push({ field: `packages[${i}]`, message: `'${name}' is not a Debian package name: lower-case letters, digits, '.', '+' and '-', at least two, such as curl` });
        } else if (!packagePattern.test(name)) {
            out.push({ field: `packages[${i}]`, message: `'${name}' is not a package name: letters, digits, '.', '+', '_' and '-', such as curl` });
        }
    });
    const seen = new Set<string>();
    (p.files ?? []).forEach((f, i) => {
        if (typeof f.path !== "string") {
            // Checked once known.
        } else if (!pathPattern.test(f.path)) {
            out.push({ field: `files[${i}].path`, message: `must be an absolute path of plain names (letters, digits, '.', '_', '-'), such as /etc/motd` });
        } else if (seen.has(f.path)) {
            out.push({ field: `files[${i}].path`, message: `${f.path} is listed twice: give each file once` });
        }
        if (typeof f.path === "string") {
            seen.add(f.path);
        }
        if (typeof f.mode === "string" && !modePattern.test(f.mode)) {
            out.push({ field: `files[${i}].mode`, message: `must be an octal mode such as "0644" (quoted), got '${f.mode}'` });
        }
        if (typeof f.owner === "string" && !ownerPattern.test(f.owner)) {
            out.push({ field: `files[${i}].owner`, message: `must be user or user:group (Linux names), such as www-data:www-data` });
        }
    });
    listed(p.run).forEach(([cmd, i]) => {
        if (typeof cmd === "string" && cmd.trim() === "") {
            out.push({ field: `run[${i}]`, message: "is empty: remove it or write the command" });
        }
    });
    return out;
}

/** Whether there is anything to do: a list still to come (an Output) counts as something. */
export function hasProvisioning(p: ProvisionArgs | undefined): p is ProvisionArgs {
    const some = (list: pulumi.Input<unknown[]> | undefined) => list !== undefined && (!Array.isArray(list) || list.length > 0);
    return p !== undefined && (some(p.packages) || (p.files?.length ?? 0) > 0 || some(p.run));
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** One `write_files` entry of cloud-config. */
export interface CloudConfigFile {
    path: string;
    content: string;
    /** Four octal digits, e.g. "0644". */
    permissions: string;
    owner: string;
    /**
     * Written in the final stage, after packages are installed (module write-files-deferred), so
     * that an owner a package creates exists, and the commands (scripts-user, later in that
     * stage) find the files: the order provision.sh keeps for a container.
     */
    defer: true;
}

/**
 * A provisioning as cloud-config keys for a VM's user data: `packages` (installed by cloud-init
 * with the distribution's own package manager), `write_files` and `runcmd` (each command run with
 * sh). cloud-init runs these once per instance id: see NasVm for how a change reaches the VM.
 * Throws on a provisioning provisionProblems refuses.
 */
export function provisionCloudConfig(p: KnownProvisionArgs, os?: LxcOsType): { packages: string[]; write_files: CloudConfigFile[]; runcmd: string[] } {
    const problems = provisionProblems(p, os);
    if (problems.length > 0) {
        throw new Error(`provision.${problems[0].field}: ${problems[0].message}`);
    }
    return {
        packages: [...(p.packages ?? [])],
        write_files: (p.files ?? []).map((f) => ({
            path: f.path,
            content: f.content,
            permissions: (f.mode ?? "0644").padStart(4, "0"),
            owner: f.owner ?? "root:root",
            defer: true,
        })),
        runcmd: [...(p.run ?? [])],
    };
}

/** The spec provision.sh reads on stdin (its format is documented in the script). */
export function renderProvisionSpec(os: LxcOsType, p: KnownProvisionArgs): string {
    const problems = provisionProblems(p, os);
    if (problems.length > 0) {
        throw new Error(`provision.${problems[0].field}: ${problems[0].message}`);
    }
    const osProblem = provisionOsRule(os);
    if (osProblem !== undefined) {
        throw new Error(osProblem);
    }
    return [
        `os ${os}`,
        ...(p.packages ?? []).map((name) => `package ${name}`),
        ...(p.files ?? []).map((f) => `file ${f.path} ${f.mode ?? "0644"} ${f.owner ?? "root:root"} ${b64(f.content)}`),
        ...(p.run ?? []).map((cmd) => `run ${b64(cmd)}`),
        "",
    ].join("\n");
}
