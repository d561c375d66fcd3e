import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

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
}

const hostnamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const usernamePattern = /^[a-z_][a-z0-9_-]{0,31}$/;
const packagePattern = /^[a-z0-9][a-z0-9.+-]+$/;
const keyPattern = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;

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
        if (!keyPattern.test(key.trim())) {
            throw new Error(`"${key.slice(0, 30)}..." is not an OpenSSH public key`);
        }
    }
    for (const pkg of args.packages ?? []) {
        if (!packagePattern.test(pkg)) {
            throw new Error(`"${pkg}" is not a Debian package name`);
        }
    }

    const doc = YAML.parseDocument(fs.readFileSync(templatePath, "utf8"));
    doc.set("hostname", args.hostname);
    doc.setIn(["users", 0, "name"], args.username);
    doc.setIn(["users", 0, "ssh_authorized_keys"], doc.createNode(args.sshPublicKeys.map((k) => k.trim())));
    const packages = doc.get("packages") as YAML.YAMLSeq<YAML.Scalar<string>>;
    const present = new Set(packages.items.map((item) => String(item.value)));
    for (const pkg of args.packages ?? []) {
        if (!present.has(pkg)) {
            packages.add(doc.createNode(pkg) as YAML.Scalar<string>);
            present.add(pkg);
        }
    }
    // The YAML library keeps the template's leading comment block, including `#cloud-config`.
    const text = doc.toString({ lineWidth: 0 });
    if (!text.startsWith("#cloud-config\n")) {
        throw new Error("user-data.yaml must start with #cloud-config");
    }
    return text;
}
