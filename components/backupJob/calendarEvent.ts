/**
 * Proxmox calendar events, the schedule format of vzdump jobs (`/cluster/backup`, `schedule`).
 *
 * Proxmox documents the format in its "Calendar Events" chapter (the same in Proxmox VE and
 * Proxmox Backup Server): `[WEEKDAY] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES[:SECONDS]]`, at least one
 * part; weekdays `mon`..`sun`, lists with `,`, ranges with `..`, repetitions `start/step`, `*` for
 * every value, and the words minutely, hourly, daily, weekly, monthly, yearly, annually, quarterly,
 * semiannually and semi-annually. The API checks the value with pve-common's `pve-calendar-event`
 * format (src/PVE/CalendarEvent.pm, pve_verify_calendar_event, which hands it to proxmox-time's
 * parser). A lone value list without `:` is minutes (the chapter's example of every five minutes
 * is a star, a slash and 5).
 *
 * Pure: no Pulumi, so that BackupJob and config validation call the same rule.
 */

const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const words = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually", "semi-annually"];

/** Why one `,`-list of a field is not valid within [min, max] (undefined when it is). */
function listProblem(text: string, what: string, min: number, max: number): string | undefined {
    for (const item of text.split(",")) {
        const m = /^(\*|\d+)(?:\.\.(\d+))?(?:\/(\d+))?$/.exec(item);
        if (!m || (m[1] === "*" && m[2] !== undefined)) {
            return `'${item}' is not a ${what} value, range (a..b) or repetition (start/step)`;
        }
        const from = m[1] === "*" ? min : Number(m[1]);
        const to = m[2] !== undefined ? Number(m[2]) : from;
        if (from < min || from > max || to < min || to > max) {
            return `${what} ${from > max || from < min ? from : to} is out of range ${min}..${max}`;
        }
        if (to < from) {
            return `the ${what} range ${item} runs backwards`;
        }
        if (m[3] !== undefined && Number(m[3]) === 0) {
            return `the ${what} repetition ${item} has step 0`;
        }
    }
    return undefined;
}

/** Why `text` is not a weekday part such as `mon..fri` or `sat,sun` (undefined when it is). */
function weekdayProblem(text: string): string | undefined {
    for (const item of text.split(",")) {
        const [from, to, ...rest] = item.split("..");
        if (rest.length > 0 || !weekdays.includes(from) || (to !== undefined && !weekdays.includes(to))) {
            return `'${item}' is not a weekday (${weekdays.join(", ")}) or a range of them such as mon..fri`;
        }
    }
    return undefined;
}

/**
 * Why `event` is not a Proxmox calendar event (undefined when it is), with the form to use. The
 * one rule: BackupJob and config validation both call it.
 */
export function calendarEventProblem(event: string): string | undefined {
    const form = "use [WEEKDAY] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES], e.g. 02:00, sun 03:00, mon..fri 22:30, *-*-01 04:00 or daily (cron syntax is not read)";
    const text = event.trim().toLowerCase();
    if (words.includes(text)) {
        return undefined;
    }
    const parts = text.split(/\s+/).filter((p) => p !== "");
    if (parts.length === 0) {
        return `is empty: ${form}`;
    }
    const why = (() => {
        let i = 0;
        if (/^[a-z]/.test(parts[i])) {
            const p = weekdayProblem(parts[i]);
            if (p !== undefined) {
                return p;
            }
            i++;
        }
        if (i < parts.length && parts[i].includes("-")) {
            const fields = parts[i].split("-");
            if (fields.length < 2 || fields.length > 3) {
                return `'${parts[i]}' is not a date [YEARS-]MONTHS-DAYS`;
            }
            const [years, months, days] = fields.length === 3 ? fields : [undefined, ...fields];
            const p = (years !== undefined ? listProblem(years, "year", 1970, 9999) : undefined) ?? listProblem(months!, "month", 1, 12) ?? listProblem(days!, "day", 1, 31);
            if (p !== undefined) {
                return p;
            }
            i++;
        }
        if (i < parts.length) {
            const fields = parts[i].split(":");
            if (fields.length > 3) {
                return `'${parts[i]}' is not a time HOURS:MINUTES[:SECONDS]`;
            }
            const [first, second, third] = fields;
            const p =
                fields.length === 1
                    ? listProblem(first, "minute", 0, 59)
                    : (listProblem(first, "hour", 0, 23) ?? listProblem(second, "minute", 0, 59) ?? (third !== undefined ? listProblem(third, "second", 0, 59) : undefined));
            if (p !== undefined) {
                return p;
            }
            i++;
        }
        return i < parts.length ? `'${parts.slice(i).join(" ")}' is left over after the ${i === 0 ? "start" : "time"}` : undefined;
    })();
    return why === undefined ? undefined : `'${event}' is not a Proxmox calendar event: ${why}; ${form}`;
}
