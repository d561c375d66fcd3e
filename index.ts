// The Pulumi program: load and validate the stack config, then build the lab from it.
// Pulumi calls the exported function and takes its result as the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { buildLab } from "./stacks/lab";
import { loadLabConfig } from "./stacks/load";
import { ConfigError } from "./stacks/validate";

// The SDK captures a stack trace for every Output it makes: with the default depth a large lab
// plans about 5x slower (see the README's benchmark). Set HOMELAB_STACK_TRACE_LIMIT to debug.
Error.stackTraceLimit = Number(process.env.HOMELAB_STACK_TRACE_LIMIT ?? 0);

export = async () => {
    let cfg;
    try {
        cfg = loadLabConfig();
    } catch (e) {
        // A RunError ends the program with its message only: the user needs the list of
        // problems, not a stack trace. Nothing has been registered at this point.
        if (e instanceof ConfigError) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
    return buildLab(cfg);
};
