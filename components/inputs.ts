// Args take `pulumi.Input`s: a value may come from another resource. These helpers keep the two
// rules that follow from that in one place: a value known at construction (plain) is checked
// there, so a bad arg throws before anything is registered; an Output is checked (or rendered)
// inside `apply`, which never creates a resource.
import * as pulumi from "@pulumi/pulumi";

/** True when `value` holds no Output or Promise (looking into arrays and plain objects). */
export function isKnown(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        return false;
    }
    if (Array.isArray(value)) {
        return value.every(isKnown);
    }
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.values(value).every(isKnown);
    }
    return true;
}

/**
 * `f` of the unwrapped `values`: computed now when every value is plain (so that `f`'s errors
 * are thrown at construction), else inside `apply`. `f` must only check and compute.
 */
export function whenKnown<T extends Record<string, unknown>, R>(values: T, f: (v: pulumi.UnwrappedObject<T>) => R): R | pulumi.Output<R> {
    if (isKnown(values)) {
        return f(values as pulumi.UnwrappedObject<T>);
    }
    return pulumi.all(values).apply((v) => f(v as pulumi.UnwrappedObject<T>)) as pulumi.Output<R>;
}

/**
 * The entries of `values` that are known: a rule run on them at construction refuses a bad plain
 * value even when other values beside it are Outputs (those are checked again, all together, in
 * `apply`).
 */
export function knownPart<T extends object>(values: T): Partial<T> {
    return Object.fromEntries(Object.entries(values).filter(([, v]) => isKnown(v))) as Partial<T>;
}

/**
 * `f` of `value` once `checked` (a `whenKnown` result) has passed: plain when both are known, else
 * an Output that waits for the check and keeps `value`'s own secretness (not the check's inputs').
 */
export function afterCheck<T, R>(checked: true | pulumi.Output<true>, value: pulumi.Input<T>, f: (v: pulumi.Unwrap<T>) => R): R | pulumi.Output<R> {
    if (checked === true && isKnown(value)) {
        return f(value as pulumi.Unwrap<T>);
    }
    return pulumi.all([pulumi.unsecret(pulumi.output(checked)), value]).apply(([, v]) => f(v as pulumi.Unwrap<T>)) as pulumi.Output<R>;
}

/**
 * The provider of package `pkg` (e.g. `proxmoxve`) that a component gets through `opts.provider`,
 * `opts.providers` or its parent, as the SDK resolves it for the component's children; `is` is
 * the provider class's `isInstance`. Usable before `super()`, so that a missing one is refused
 * before anything is registered.
 */
export function providerIn<P extends pulumi.ProviderResource>(
    opts: pulumi.ComponentResourceOptions | undefined,
    pkg: string,
    is: (p: unknown) => p is P,
): P | undefined {
    const providers = opts?.providers;
    const candidates = [opts?.provider, ...(Array.isArray(providers) ? providers : Object.values(providers ?? {})), opts?.parent?.getProvider(`${pkg}::`)];
    return candidates.find((p): p is P => is(p));
}
