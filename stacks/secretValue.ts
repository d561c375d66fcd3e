// A secret of the stack config, apart from the zod schema so that the package's public types
// reach it without reading zod's.
/**
 * A value that was stored encrypted (`pulumi config set --secret`). The loader wraps every
 * `secure:` value in this class, so a password or token given in plain text is caught by type.
 */
export class SecretValue {
    constructor(readonly value: string) {}
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
}
