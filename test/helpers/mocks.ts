// Test helpers over scripts/capture.ts: run a program (a component, or the whole stack) under the
// runtime mocks and query what it registered.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { capture, CapturedResource, CaptureResult } from "../../scripts/capture";
import { planStack, stackFileConfig, stackFileLab } from "../../scripts/plan";
import { LabConfig } from "../../stacks/config";

export { CapturedResource, CaptureResult };

export const repoRoot = path.join(__dirname, "..", "..");

/** Runs `program` (which creates resources) under mocks with no config. */
export function captureProgram(program: () => unknown, config: Record<string, string> = {}): Promise<CaptureResult> {
    return capture(program, { stack: "test", config });
}

/**
 * Runs `program`, which is expected to throw, under mocks: what it threw, and every registration
 * as `type name`. A component that validates before `super()` leaves only what the test made.
 */
export async function captureRefusal(program: () => unknown): Promise<{ error?: Error; registered: string[] }> {
    let error: Error | undefined;
    const { resources } = await captureProgram(() => {
        try {
            program();
        } catch (e) {
            error = e as Error;
        }
    });
    return { error, registered: resources.map((r) => `${r.type} ${r.name}`) };
}

/** Runs the real program (index.ts) with the reference lab's Pulumi.home.yaml, or with `text`. */
export async function captureStack(text?: string): Promise<{ cfg: LabConfig; result: CaptureResult }> {
    if (text === undefined) {
        return planStack("home", path.join(repoRoot, "Pulumi.home.yaml"));
    }
    const file = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "homelab-stack-")), "Pulumi.test.yaml");
    fs.writeFileSync(file, text);
    return planStack("test", file);
}

/** The reference lab's validated config. */
export function homeConfig(): LabConfig {
    return stackFileLab(homeYaml());
}

export function homeYaml(): string {
    return fs.readFileSync(path.join(repoRoot, "Pulumi.home.yaml"), "utf8");
}

export { stackFileConfig };

/**
 * `value` as the Output of another resource (a RandomId whose keepers carry it): what a consumer
 * passes when an arg comes from somewhere else. The resource it comes from is `dependency-<name>`.
 */
export function outputOf<T>(name: string, value: T): pulumi.Output<T> {
    const source = new random.RandomId(`dependency-${name}`, { byteLength: 4, keepers: { value: JSON.stringify(value) } });
    return source.keepers.apply((k) => JSON.parse(k!.value) as T);
}

/** Every resource of `type` (a full type token). */
export function ofType(resources: CapturedResource[], type: string): CapturedResource[] {
    return resources.filter((r) => r.type === type);
}

/** The one resource with this type and name; fails the test when there is not exactly one. */
export function one(resources: CapturedResource[], type: string, name: string): CapturedResource {
    const found = resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${found.length}; registered: ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    }
    return found[0];
}

/** Direct children of the resource with `urn`, as `type name` strings, sorted. */
export function childrenOf(resources: CapturedResource[], urn: string): string[] {
    return resources.filter((r) => r.parent === urn).map((r) => `${r.type} ${r.name}`).sort();
}

/**
 * Runs `program` under mocks where a check inside `apply` is expected to fail: the first error
 * raised while registering, without the SDK's `error serializing property "<input>": ` prefixes
 * (the SDK reports it as an unhandled rejection, and that registration may never complete);
 * undefined when the program ran through.
 */
export function captureApplyError(program: () => unknown): Promise<string | undefined> {
    return new Promise((resolve) => {
        let settled = false;
        const done = (message: string | undefined) => {
            if (!settled) {
                settled = true;
                process.off("unhandledRejection", listener);
                resolve(message?.replace(/^(error serializing property "[^"]*": )+/, ""));
            }
        };
        const listener = (e: unknown) => done(e instanceof Error ? e.message : String(e));
        process.on("unhandledRejection", listener);
        capture(program, { stack: "test", config: {}, preview: false }).then(
            // The rejection is reported on a later turn of the event loop than the failed registration.
            () => setTimeout(() => done(undefined), 200),
            (e: Error) => done(e.message),
        );
    });
}
