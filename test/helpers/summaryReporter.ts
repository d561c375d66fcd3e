// Mocha's spec reporter plus one plain closing line, `N passed, N failed, N skipped`, which CI
// reads to count the tests whatever the runner.
import * as Mocha from "mocha";

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const s = runner.stats!;
            process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
        });
    }
}

export = SummaryReporter;
