import * as pulumi from "@pulumi/pulumi";
import { calendarEventProblem } from "./backupJob/calendarEvent";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { whenKnown } from "./inputs";

/** A NAS share used as Proxmox backup storage (added as CIFS storage). */
export interface CifsTargetArgs {
    /** Storage id on Proxmox, e.g. `nas-backups`. */
    storageId: pulumi.Input<string>;
    /** NAS address. */
    server: pulumi.Input<string>;
    /** Share name on the NAS, e.g. `backups`. */
    share: pulumi.Input<string>;
    /** NAS user allowed on the share. */
    username: pulumi.Input<string>;
    /** That user's password. Made a secret here. */
    password: pulumi.Input<string>;
}

/** vzdump's way of reading a running guest. */
export const BackupMode = {
    /** Live snapshot, no downtime. */
    snapshot: "snapshot",
    /** Suspends the guest while copying. */
    suspend: "suspend",
    /** Stops the guest while copying. */
    stop: "stop",
} as const;
export type BackupMode = (typeof BackupMode)[keyof typeof BackupMode];

/** The NAS VM's own backup job. */
export interface NasBackupArgs {
    /** The NAS VM's guest id. */
    vmId: pulumi.Input<number>;
    /** Storage outside the NAS that its backup goes to. */
    storage: pulumi.Input<string>;
    /** systemd calendar event of its job. */
    schedule: pulumi.Input<string>;
}

/**
 * Args of a BackupJob: exactly one of `cifs` and `storage`. The proxmoxve provider comes through
 * `opts` (or the parent); the lab passes the root one (storage and jobs are datacenter-wide).
 */
export interface BackupJobArgs {
    /** Back up to a NAS share, created as CIFS storage. Plain presence: it decides whether the storage exists. */
    cifs?: CifsTargetArgs;
    /** Back up to an existing storage id instead. */
    storage?: pulumi.Input<string>;
    /** Nodes that get the CIFS storage (the job itself covers the whole cluster). At least one. */
    nodes: pulumi.Input<pulumi.Input<string>[]>;
    /** systemd calendar event. Defaults to 02:00. */
    schedule?: pulumi.Input<string>;
    /** vzdump mode. Defaults to snapshot. */
    mode?: pulumi.Input<BackupMode>;
    /** Daily backups kept. Defaults to 7. */
    keepDaily?: pulumi.Input<number>;
    /** Weekly backups kept. Defaults to 4. */
    keepWeekly?: pulumi.Input<number>;
    /** Monthly backups kept. Defaults to 3. */
    keepMonthly?: pulumi.Input<number>;
    /** Guest ids never backed up by this job. Defaults to none (besides the NAS, see `nas`). */
    excludeIds?: pulumi.Input<pulumi.Input<number>[]>;
    /**
     * The NAS VM's own backup, in a separate job to a storage outside the NAS (its OS disk only:
     * the passthrough data disks are never part of a vzdump). The NAS is then always excluded from
     * the main job, whose target may be a share it serves. Omit for none.
     */
    nas?: NasBackupArgs;
}

/**
 * The nightly vzdump job of every guest to the backup storage, and the NAS VM's own job to a
 * storage that does not live on the NAS.
 */
export class BackupJob extends pulumi.ComponentResource {
    /** The storage id backups go to. */
    readonly storageId: pulumi.Output<string>;

    /** The CIFS storage, when `cifs` is set. A getter: proxmoxve resources are not in the multi-language schema. */
    get storage(): proxmoxve.storage.Cifs | undefined {
        return handles.get(this)!.storage;
    }
    /** The main job. */
    get job(): proxmoxve.backup.Job {
        return handles.get(this)!.job;
    }
    /** The NAS's own job, when `nas` is set. */
    get nasJob(): proxmoxve.backup.Job | undefined {
        return handles.get(this)!.nasJob;
    }

    constructor(name: string, args: BackupJobArgs, opts?: pulumi.ComponentResourceOptions) {
        if ((args.cifs === undefined) === (args.storage === undefined)) {
            throw new Error("BackupJob: set exactly one of cifs (a NAS share) and storage (an existing storage id)");
        }
        // A schedule systemd would refuse: checked now when plain, else once known.
        const checkedSchedule = (what: string, schedule: pulumi.Input<string>) =>
            whenKnown({ schedule }, (v) => {
                const problem = calendarEventProblem(v.schedule);
                if (problem !== undefined) {
                    throw new Error(`BackupJob: ${what} ${problem}`);
                }
                return v.schedule;
            });
        const schedule = checkedSchedule("schedule", args.schedule ?? "02:00");
        const nasSchedule = args.nas && checkedSchedule("nas.schedule", args.nas.schedule);
        const nodes = whenKnown({ nodes: args.nodes }, (v) => {
            if (v.nodes.length === 0) {
                throw new Error("BackupJob: nodes must list at least one node");
            }
            return v.nodes;
        });
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:BackupJob", name, {}, opts);
        const own = { parent: this };
        const keep = whenKnown({ d: args.keepDaily ?? 7, w: args.keepWeekly ?? 4, m: args.keepMonthly ?? 3 }, (v) => ({
            "keep-daily": String(v.d),
            "keep-weekly": String(v.w),
            "keep-monthly": String(v.m),
        }));

        let storage: proxmoxve.storage.Cifs | undefined;
        let storageId: pulumi.Input<string>;
        if (args.cifs) {
            const t = args.cifs;
            storage = new proxmoxve.storage.Cifs(
                `${name}-storage`,
                {
                    resourceId: t.storageId,
                    server: t.server,
                    share: t.share,
                    username: t.username,
                    password: pulumi.secret(t.password),
                    contents: ["backup"],
                    nodes,
                },
                // test/providerTruth.ts, row "Cifs password": the provider replaces the storage when
                // its server, share, login or password changes (a rotated password), and the new
                // one takes the same storage id, which Proxmox refuses while the old one exists.
                // The backups on the share are not touched by removing the storage.
                { ...own, deleteBeforeReplace: true },
            );
            storageId = t.storageId;
        } else {
            storageId = args.storage!;
        }

        const job = new proxmoxve.backup.Job(
            name,
            {
                resourceId: name,
                schedule,
                storage: storageId,
                all: true,
                excludes: whenKnown({ ids: args.excludeIds ?? [], nas: args.nas?.vmId }, (v) => [...new Set([...v.ids, ...(v.nas !== undefined ? [v.nas] : [])])].map(String)),
                mode: args.mode ?? BackupMode.snapshot,
                compress: "zstd",
                pruneBackups: keep,
                mailnotification: "failure",
                enabled: true,
            },
            { ...own, dependsOn: storage ? [storage] : [] },
        );

        let nasJob: proxmoxve.backup.Job | undefined;
        if (args.nas) {
            nasJob = new proxmoxve.backup.Job(
                `${name}-nas`,
                {
                    resourceId: `${name}-nas`,
                    schedule: nasSchedule!,
                    storage: args.nas.storage,
                    vmids: [pulumi.output(args.nas.vmId).apply(String)],
                    mode: args.mode ?? BackupMode.snapshot,
                    compress: "zstd",
                    pruneBackups: keep,
                    mailnotification: "failure",
                    enabled: true,
                },
                own,
            );
        }
        handles.set(this, { storage, job, nasJob });
        this.storageId = pulumi.output(storageId);
        this.registerOutputs({ storageId: this.storageId });
    }
}

// proxmoxve is not a @pulumi package, so the multi-language schema cannot carry its resources:
// TypeScript reaches them through getters, kept here rather than in fields.
const handles = new WeakMap<BackupJob, { storage?: proxmoxve.storage.Cifs; job: proxmoxve.backup.Job; nasJob?: proxmoxve.backup.Job }>();
