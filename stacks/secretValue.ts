// A secret of the stack config, apart from the zod schema so that the package's public types
// reach it without reading zod's.
import * as pulumi from "@pulumi/pulumi";

/**
 * A value that was stored encrypted (`pulumi config set --secret`). The loader wraps every
 * `secure:` value in this class, so a password or token given in plain text is caught by type.
 */
export class SecretValue {
    constructor(readonly value: string) {}
    /** What `rule` (the rule of the field that holds the secret) finds wrong with it, or undefined. */
    check(rule: (value: string) => string | undefined): string | undefined {
        return rule(this.value);
    }
    /** The secret as a Pulumi secret, what components take. */
    output(): pulumi.Output<string> {
        return pulumi.secret(this.value);
    }
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
}
