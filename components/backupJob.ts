import * as pulumi from "@pulumi/pulumi";
import { calendarEventProblem } from "./backupJob/calendarEvent";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";

/** A NAS share used as Proxmox backup storage (added as CIFS storage). */
export interface CifsTargetArgs {
    /** Storage id on Proxmox, e.g. `nas-backups`. */
    storageId: string;
    /** NAS address. */
    server: pulumi.Input<string>;
    /** Share name on the NAS, e.g. `backups`. */
    share: string;
    /** NAS user allowed on the share. */
    username: string;
    /** That user's password. Made a secret here. */
    password: pulumi.Input<string>;
}

export interface BackupJobArgs {
    /** Back up to a NAS share (created as CIFS storage) or to an existing storage id. */
    target: { cifs: CifsTargetArgs } | { storage: string };
    /** Nodes that get the CIFS storage (the job itself covers the whole cluster). */
    nodes: string[];
    /** systemd calendar event. Defaults to 02:00. */
    schedule?: string;
    /** vzdump mode. Defaults to snapshot. */
    mode?: "snapshot" | "suspend" | "stop";
    /** Daily backups kept. Defaults to 7. */
    keepDaily?: number;
    /** Weekly backups kept. Defaults to 4. */
    keepWeekly?: number;
    /** Monthly backups kept. Defaults to 3. */
    keepMonthly?: number;
    /** Guest ids never backed up by this job. Defaults to none (besides the NAS, see `nas`). */
    excludeIds?: number[];
    /**
     * The NAS VM's own backup, in a separate job to a storage outside the NAS (its OS disk only:
     * the passthrough data disks are never part of a vzdump). The NAS is then always excluded from
     * the main job, whose target may be a share it serves. Omit for none.
     */
    nas?: { vmId: number; storage: string; schedule: string };
    /** The proxmoxve provider; the lab passes the root one (storage and jobs are datacenter-wide). */
    provider: proxmoxve.Provider;
}

/**
 * The nightly vzdump job of every guest to the backup storage, and the NAS VM's own job to a
 * storage that does not live on the NAS.
 */
export class BackupJob extends pulumi.ComponentResource {
    /** The storage id backups go to. */
    readonly storageId: string;
    readonly storage?: proxmoxve.storage.Cifs;
    readonly job: proxmoxve.backup.Job;
    readonly nasJob?: proxmoxve.backup.Job;

    constructor(name: string, args: BackupJobArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.nodes.length === 0) {
            throw new Error("BackupJob: nodes must list at least one node");
        }
        for (const [what, schedule] of [["schedule", args.schedule], ["nas.schedule", args.nas?.schedule]] as const) {
            const problem = schedule !== undefined ? calendarEventProblem(schedule) : undefined;
            if (problem !== undefined) {
                throw new Error(`BackupJob: ${what} ${problem}`);
            }
        }
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:BackupJob", name, {}, opts);
        const own = { parent: this, provider: args.provider };
        const keep = {
            "keep-daily": String(args.keepDaily ?? 7),
            "keep-weekly": String(args.keepWeekly ?? 4),
            "keep-monthly": String(args.keepMonthly ?? 3),
        };

        if ("cifs" in args.target) {
            const t = args.target.cifs;
            this.storage = new proxmoxve.storage.Cifs(
                `${name}-storage`,
                {
                    resourceId: t.storageId,
                    server: t.server,
                    share: t.share,
                    username: t.username,
                    password: pulumi.secret(t.password),
                    contents: ["backup"],
                    nodes: args.nodes,
                },
                own,
            );
            this.storageId = t.storageId;
        } else {
            this.storageId = args.target.storage;
        }

        this.job = new proxmoxve.backup.Job(
            name,
            {
                resourceId: name,
                schedule: args.schedule ?? "02:00",
                storage: this.storageId,
                all: true,
                excludes: [...new Set([...(args.excludeIds ?? []), ...(args.nas ? [args.nas.vmId] : [])])].map(String),
                mode: args.mode ?? "snapshot",
                compress: "zstd",
                pruneBackups: keep,
                mailnotification: "failure",
                enabled: true,
            },
            { ...own, dependsOn: this.storage ? [this.storage] : [] },
        );

        if (args.nas) {
            this.nasJob = new proxmoxve.backup.Job(
                `${name}-nas`,
                {
                    resourceId: `${name}-nas`,
                    schedule: args.nas.schedule,
                    storage: args.nas.storage,
                    vmids: [String(args.nas.vmId)],
                    mode: args.mode ?? "snapshot",
                    compress: "zstd",
                    pruneBackups: keep,
                    mailnotification: "failure",
                    enabled: true,
                },
                own,
            );
        }
        this.registerOutputs({ storageId: this.storageId });
    }
}
