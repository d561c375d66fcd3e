import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { debianPackagePattern, KnownProvisionArgs, provisionCloudConfig } from "../provision";

/** The cloud-config template beside this file; only the fields below are filled in by code. */
const templatePath = path.join(__dirname, "user-data.yaml");

/** Arguments of {@link renderUserData}. */
export interface UserDataArgs {
    /** Host name of the VM (one DNS label, e.g. `nas`). */
    hostname: string;
    /** The admin user created for SSH (key-only, passwordless sudo), e.g. `admin`. */
    username: string;
    /** OpenSSH public keys allowed to log in as `username`; at least one, or nobody could. */
    sshPublicKeys: string[];
    /** Debian packages to install besides qemu-guest-agent, mdadm and samba. Defaults to none. */
    packages?: string[];
    /**
     * Packages, files and commands the VM is set up with ({@link provisionCloudConfig}): its
     * packages join `packages`, its files become `write_files`, its commands follow the fixed
     * `runcmd`. Defaults to none.
     */
    provision?: KnownProvisionArgs;
}

const hostnamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const usernamePattern = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * The key types an authorized_keys line may name, as OpenSSH 9 accepts them (sshd(8),
 * AUTHORIZED_KEYS FILE FORMAT), FIDO security keys included. DSA is left out: OpenSSH disabled it
 * by default in 7.0 and removed it in 10.0.
 */
export const sshKeyTypes = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/**
 * Why this is not an OpenSSH public key line (undefined when it is): `<type> <base64> [comment]`
 * on one line, of a type in sshKeyTypes, whose base64 blob starts with that same type name, as
 * sshd checks it. The one rule: renderUserData and config validation both call it.
 */
export function sshPublicKeyProblem(line: string): string | undefined {
    const fix = `must be an OpenSSH public key line '<type> <base64> [comment]' (the .pub file), of type ${sshKeyTypes.join(", ")}`;
    const m = /^([a-z][a-z0-9.@-]*) ([A-Za-z0-9+/]+={0,2})( [^\r\n]*)?$/.exec(line.trim());
    if (!m) {
        return fix;
    }
    if (!sshKeyTypes.includes(m[1])) {
        return `key type '${m[1]}' is not one OpenSSH accepts: use ${sshKeyTypes.join(", ")}`;
    }
    const blob = Buffer.from(m[2], "base64");
    const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (length !== m[1].length || blob.subarray(4, 4 + length).toString("latin1") !== m[1]) {
        return `the key data is not a ${m[1]} key (its base64 must start with the encoded type name): copy the whole line of the .pub file`;
    }
    return undefined;
}

/** Renders the NAS VM's cloud-init user data (starts with `#cloud-config`). Throws on bad input. */
export function renderUserData(args: UserDataArgs): string {
    if (!hostnamePattern.test(args.hostname)) {
        throw new Error(`hostname "${args.hostname}" must be one lower-case DNS label`);
    }
    if (!usernamePattern.test(args.username) || args.username === "root") {
        throw new Error(`username "${args.username}" is not a valid non-root Linux user name`);
    }
    if (args.sshPublicKeys.length === 0) {
        throw new Error("sshPublicKeys must hold at least one key: password login is disabled");
    }
    for (const key of args.sshPublicKeys) {
        const problem = sshPublicKeyProblem(key);
        if (problem !== undefined) {
            throw new Error(`"${key.slice(0, 30)}...": ${problem}`);
        }
    }
    // The NAS runs a Debian cloud image.
    const provision = provisionCloudConfig(args.provision ?? {}, "debian");
    const extraPackages = [...(args.packages ?? []), ...provision.packages];
    for (const pkg of extraPackages) {
        if (!debianPackagePattern.test(pkg)) {
            throw new Error(`"${pkg}" is not a Debian package name`);
        }
    }

    const doc = YAML.parseDocument(fs.readFileSync(templatePath, "utf8"));
    doc.set("hostname", args.hostname);
    doc.setIn(["users", 0, "name"], args.username);
    doc.setIn(["users", 0, "ssh_authorized_keys"], doc.createNode(args.sshPublicKeys.map((k) => k.trim())));
    const packages = doc.get("packages") as YAML.YAMLSeq<YAML.Scalar<string>>;
    const present = new Set(packages.items.map((item) => String(item.value)));
    for (const pkg of extraPackages) {
        if (!present.has(pkg)) {
            packages.add(doc.createNode(pkg) as YAML.Scalar<string>);
            present.add(pkg);
        }
    }
    if (provision.write_files.length > 0) {
        doc.set("write_files", doc.createNode(provision.write_files));
    }
    const runcmd = doc.get("runcmd") as YAML.YAMLSeq;
    for (const cmd of provision.runcmd) {
        runcmd.add(doc.createNode(cmd));
    }
    // The YAML library keeps the template's leading comment block, including `#cloud-config`.
    const text = doc.toString({ lineWidth: 0 });
    if (!text.startsWith("#cloud-config\n")) {
        throw new Error("user-data.yaml must start with #cloud-config");
    }
    return text;
}
