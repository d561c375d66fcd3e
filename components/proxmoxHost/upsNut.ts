import * as path from "path";

/**
 * The script that sets up NUT on a Proxmox node (see its header for the full contract). It reads
 * the upsmon password from stdin, one line, after the script text when run with `bash -s`.
 */
export const upsNutScriptPath = path.join(__dirname, "ups-nut.sh");

export interface UpsNutArgs {
    /** UPS section name in ups.conf, also its name on upsd (`<name>@127.0.0.1`). */
    name: string;
    /** NUT driver. Defaults to `nutdrv_qx`, the Megatec/Q1 USB driver that fits PowerWalker VI STL units. */
    driver?: string;
    /** Driver port. Defaults to `auto` (the first matching USB device). */
    port?: string;
    /** Free text for ups.conf `desc`. Defaults to none. */
    description?: string;
    /**
     * Battery charge (%) below which the node shuts down, 0 to turn this threshold off. Defaults to 30.
     * With both thresholds 0 the UPS's own low-battery flag decides instead.
     */
    shutdownPercent?: number;
    /** Estimated runtime (s) below which the node shuts down, 0 to turn it off. Defaults to 0 (Q1 units report none). */
    shutdownRuntimeSeconds?: number;
    /** upsd user that upsmon logs in with as primary. Defaults to `upsmon`. */
    monitorUser?: string;
}

const namePattern = /^[A-Za-z0-9_-]+$/;
const driverPattern = /^[a-z0-9_-]+$/;

function checkInt(field: string, value: number, max: number): number {
    if (!Number.isInteger(value) || value < 0 || value > max) {
        throw new Error(`upsNut: ${field} must be an integer from 0 to ${max}, got ${value}`);
    }
    return value;
}

function checkPattern(field: string, value: string, pattern: RegExp): string {
    if (!pattern.test(value)) {
        throw new Error(`upsNut: ${field} must match ${pattern.source}, got "${value}"`);
    }
    return value;
}

/**
 * The argument vector for ups-nut.sh, every argument explicit so that the command text (and so a
 * diff in `pulumi preview`) shows the whole configuration. Ranges match the script's own checks.
 */
export function upsNutCommandArgs(args: UpsNutArgs): string[] {
    const port = args.port ?? "auto";
    if (port === "" || port.includes("\n")) {
        throw new Error(`upsNut: port must be non-empty and on one line, got "${port}"`);
    }
    const description = args.description ?? "";
    if (description.includes("\n")) {
        throw new Error(`upsNut: description must be on one line`);
    }
    return [
        "--name", checkPattern("name", args.name, namePattern),
        "--driver", checkPattern("driver", args.driver ?? "nutdrv_qx", driverPattern),
        "--port", port,
        "--description", description,
        "--shutdown-percent", String(checkInt("shutdownPercent", args.shutdownPercent ?? 30, 100)),
        "--shutdown-runtime", String(checkInt("shutdownRuntimeSeconds", args.shutdownRuntimeSeconds ?? 0, 3600)),
        "--admin-user", checkPattern("monitorUser", args.monitorUser ?? "upsmon", namePattern),
    ];
}
