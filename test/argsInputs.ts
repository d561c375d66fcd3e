// Reads the components' Args from their TypeScript declarations (the compiler's own type checker,
// no regex) and tells which fields accept a `pulumi.Input`: the measure behind "Args take Inputs".
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

/** One field a caller sets, in the interface that declares it. */
export interface ArgsField {
    /** `DockerHostArgs.ipv4`, `ShareMountArgs.password`, ... */
    name: string;
    /** Takes a `pulumi.Input` (or a list or map of them). */
    input: boolean;
    /** Its declared type, as written. */
    type: string;
}

/**
 * Every leaf field reachable from the `args` parameter of each ComponentResource class declared in
 * `dir`'s top-level .ts files. A field whose type is one of the components' own interfaces (a block
 * such as `network` or a list of `mounts`) is not counted itself: its fields are. Each declaring
 * interface counts once, however many components use it.
 */
export function componentArgsFields(dir: string): ArgsField[] {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f));
    const program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    // Declared under `dir`, in a component file or a module beside one (components/app/containerFields.ts).
    const own = (d: ts.Declaration) => !path.relative(path.resolve(dir), path.resolve(d.getSourceFile().fileName)).startsWith("..");
    const seen = new Set<ts.Symbol>();
    const fields: ArgsField[] = [];

    const isOutput = (t: ts.Type) => ["OutputInstance", "Output"].includes((t.getSymbol() ?? t.aliasSymbol)?.getName() ?? "");
    const parts = (t: ts.Type) => (t.isUnion() ? t.types : [t]).filter((p) => !(p.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    /** `Input<T>` is `T | Promise<T> | OutputInstance<T>`: a union with an Output member. */
    const isInput = (t: ts.Type) => parts(t).some(isOutput) || parts(t).some((p) => p.getSymbol()?.getName() === "Promise");
    const elementOf = (t: ts.Type): ts.Type | undefined => {
        const ps = parts(t);
        if (ps.length !== 1) {
            return undefined;
        }
        const p = ps[0];
        if (checker.isArrayType(p)) {
            return checker.getTypeArguments(p as ts.TypeReference)[0];
        }
        return checker.getIndexInfoOfType(p, ts.IndexKind.String)?.type;
    };
    /** The components' own interface behind a field (through lists and maps), if any. */
    const block = (t: ts.Type): ts.Type | undefined => {
        const ps = parts(t);
        // An interface or an inline `{ ... }` of the components (not a resource class, not a list).
        const p = ps.length === 1 ? ps[0] : undefined;
        if (p && p.flags & ts.TypeFlags.Object && !p.isClass() && !checker.isArrayType(p) && p.getProperties().length > 0 && p.getSymbol()?.declarations?.some(own)) {
            return p;
        }
        const e = elementOf(t);
        return e && !isInput(t) ? block(e) : undefined;
    };

    const walk = (iface: ts.Type) => {
        for (const prop of iface.getProperties()) {
            if (seen.has(prop)) {
                continue;
            }
            seen.add(prop);
            const decl = prop.valueDeclaration;
            if (!decl || !own(decl)) {
                continue;
            }
            const t = checker.getTypeOfSymbolAtLocation(prop, decl);
            const inner = block(t);
            if (inner) {
                walk(inner);
                continue;
            }
            const element = elementOf(t);
            fields.push({
                name: `${checker.symbolToString(iface.getSymbol()!)}.${prop.getName()}`,
                input: isInput(t) || (element !== undefined && isInput(element)),
                type: ts.isPropertySignature(decl) && decl.type ? decl.type.getText() : checker.typeToString(t),
            });
        }
    };

    for (const file of files) {
        const source = program.getSourceFile(file)!;
        source.forEachChild((node) => {
            if (!ts.isClassDeclaration(node) || !node.name) {
                return;
            }
            const base = node.heritageClauses?.flatMap((h) => h.types).map((e) => e.expression.getText());
            if (!base?.some((b) => /(^|\.)ComponentResource$/.test(b))) {
                return;
            }
            const ctor = node.members.find(ts.isConstructorDeclaration);
            const argsParam = ctor?.parameters.find((p) => p.name.getText() === "args");
            if (!argsParam?.type) {
                throw new Error(`${node.name.text}: constructor has no typed args parameter`);
            }
            walk(checker.getTypeFromTypeNode(argsParam.type));
        });
    }
    return fields;
}
