// The URNs a real deployment gives the captured resources. The mock monitor keeps only the
// parent's last type and includes the root stack's type; the engine chains the parent's full
// qualified type and leaves the root stack out (pulumi/pulumi pkg/resource/deploy/deployment.go,
// Deployment.generateURN).
import { CapturedResource } from "./mocks";

const rootStackType = "pulumi:pulumi:Stack";

/** Each resource's URN as the engine computes it, keyed by the mock URN the capture recorded. */
export function engineUrns(resources: CapturedResource[]): Map<string, string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const out = new Map<string, string>();
    const urnOf = (r: CapturedResource): string => {
        const known = out.get(r.urn);
        if (known) {
            return known;
        }
        const [, stack, project] = /^urn:pulumi:([^:]*)::([^:]*)::/.exec(r.urn)!;
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (r.parent && !parent) {
            throw new Error(`${r.urn}: parent ${r.parent} was not captured`);
        }
        const chain = parent && parent.type !== rootStackType ? `${urnOf(parent).split("::")[2]}$` : "";
        const urn = `urn:pulumi:${stack}::${project}::${chain}${r.type}::${r.name}`;
        out.set(r.urn, urn);
        return urn;
    };
    resources.forEach(urnOf);
    return out;
}
