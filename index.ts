// The Pulumi program: load and validate the stack config, then build the lab from it.
// Pulumi calls the exported function and takes its result as the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { Lab } from "./stacks/lab";
import { loadLabConfig } from "./stacks/load";
import { ConfigError } from "./stacks/validate";
// `pulumi package add` on a checkout runs Pulumi's component analyzer, which reads the sources from
// the first entry it finds: this file (package.json's main and exports name dist/ files, which it
// does not map back to their sources). Importing the plugin's entry shows it every served
// component, the Lab of stacks/labDocument.ts among them (test/analyzer.test.ts).
import "./components/plugin";

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
    // Stacks made before Lab existed have every part at the stack's root: adopt them, so that
    // nothing is replaced (see LabOptions.adoptRootResources).
    const lab = new Lab("homelab", cfg, { adoptRootResources: true });
    return { routes: lab.routes, guestApiToken: lab.guestApiToken };
};
