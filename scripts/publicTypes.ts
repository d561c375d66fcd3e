// Writes the validated stack config as plain TypeScript interfaces (stacks/labConfig.ts), read
// off the zod schema in stacks/config.ts by the compiler's type checker: every object schema
// `fooSchema` becomes `FooConfig`, every field keeps its doc comment, and a field with a
// `.default(...)` says its default. The package's public .d.ts then names these interfaces
// instead of zod's types, so a consumer's compiler never reads zod's declarations. config.ts
// checks at compile time that they equal `z.output<typeof labSchema>`. Run by `npm run schema`.
import * as path from "path";
import ts from "typescript";

export const labConfigFile = path.join(__dirname, "..", "stacks", "labConfig.ts");
const configFile = path.join(__dirname, "..", "stacks", "config.ts");

/** `networkSchema` -> `NetworkConfig`. */
const interfaceName = (schemaVar: string) => `${schemaVar[0].toUpperCase()}${schemaVar.slice(1).replace(/Schema$/, "")}Config`;

/** The doc comment as ` * ` lines at `indent`, or nothing. */
function docBlock(text: string, indent: string): string {
    if (text.trim() === "") {
        return "";
    }
    const lines = text.trim().split("\n");
    return lines.length === 1 && indent.length + text.length < 110
        ? `${indent}/** ${lines[0]} */\n`
        : `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ""}`).join("\n")}\n${indent} */\n`;
}

/** The `x` of a field written `....default(x)`, as written, when its doc does not already say it. */
function defaultOf(decl: ts.Declaration | undefined): string | undefined {
    let found: string | undefined;
    const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "default" && n.arguments.length === 1) {
            found = n.arguments[0].getText();
        }
        // The default of the field itself, not of a field of a nested object.
        if (!ts.isObjectLiteralExpression(n)) {
            ts.forEachChild(n, visit);
        }
    };
    if (decl && ts.isPropertyAssignment(decl)) {
        visit(decl.initializer);
    }
    return found;
}

/** The source of stacks/labConfig.ts. */
export function labConfigText(): string {
    const program = ts.createProgram([configFile], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(configFile)!;
    const parsed = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === "ParsedLabConfig");
    if (!parsed) {
        throw new Error("stacks/config.ts declares no `type ParsedLabConfig = z.output<typeof labSchema>`");
    }

    /** The schema variable an object type was parsed by (`networkSchema`), when it has one of its own. */
    const schemaOf = (type: ts.Type): ts.VariableDeclaration | undefined => {
        for (const prop of type.getProperties()) {
            const literal = prop.declarations?.[0]?.parent;
            const call = literal?.parent;
            if (literal && ts.isObjectLiteralExpression(literal) && call && ts.isCallExpression(call) && ts.isVariableDeclaration(call.parent)) {
                return call.parent;
            }
        }
        return undefined;
    };

    /** The doc of the schema variable a field is written with (`domain: domainSchema`, `nas: nasSchema.optional()`). */
    const schemaDoc = (decl: ts.Declaration | undefined): string => {
        let e: ts.Expression | undefined = decl && ts.isPropertyAssignment(decl) ? decl.initializer : undefined;
        while (e && ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
            e = e.expression.expression;
        }
        const symbol = e && ts.isIdentifier(e) ? checker.getSymbolAtLocation(e) : undefined;
        return symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)) : "";
    };

    const interfaces = new Map<string, string>();
    const pending: { name: string; type: ts.Type; decl: ts.VariableDeclaration }[] = [];

    const print = (type: ts.Type, indent: string): string => {
        if (type.isUnion()) {
            const members = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
            const bools = members.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral);
            const rest = members.filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral)).map((t) => print(t, indent));
            return [...(bools.length === 2 ? ["boolean"] : bools.map((t) => checker.typeToString(t))), ...rest].join(" | ");
        }
        if (checker.isArrayType(type)) {
            const item = print(checker.getTypeArguments(type as ts.TypeReference)[0], indent);
            return /[|{]/.test(item) ? `(${item})[]` : `${item}[]`;
        }
        if (!(type.flags & ts.TypeFlags.Object) || type.getSymbol()?.name === "SecretValue") {
            return checker.typeToString(type);
        }
        const index = checker.getIndexInfosOfType(type);
        if (index.length === 1 && type.getProperties().length === 0) {
            return `Record<${checker.typeToString(index[0].keyType)}, ${print(index[0].type, indent)}>`;
        }
        const decl = schemaOf(type);
        if (decl && ts.isIdentifier(decl.name)) {
            const name = interfaceName(decl.name.text);
            if (!interfaces.has(name) && !pending.some((p) => p.name === name)) {
                pending.push({ name, type, decl });
            }
            return name;
        }
        return `{\n${members(type, `${indent}    `)}${indent}}`;
    };

    const members = (type: ts.Type, indent: string): string =>
        type
            .getProperties()
            .map((prop) => {
                const decl = prop.declarations?.[0];
                let doc = ts.displayPartsToString(prop.getDocumentationComment(checker)) || schemaDoc(decl);
                const dflt = defaultOf(decl);
                if (dflt !== undefined && !/Defaults? to/.test(doc)) {
                    doc = `${doc}${doc ? " " : ""}Defaults to ${dflt.replace(/^"(.*)"$/, "$1")}.`;
                }
                const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
                return `${docBlock(doc, indent)}${indent}${prop.name}${optional ? "?" : ""}: ${print(checker.getTypeOfSymbol(prop), indent)};\n`;
            })
            .join("");

    const root = checker.getTypeAtLocation(parsed.name);
    const rootDecl = schemaOf(root);
    if (!rootDecl) {
        throw new Error("ParsedLabConfig is not the output of an object schema");
    }
    pending.push({ name: "LabConfig", type: root, decl: rootDecl });
    while (pending.length > 0) {
        const { name, type, decl } = pending.shift()!;
        interfaces.set(name, "");
        const doc = ts.displayPartsToString(checker.getSymbolAtLocation(decl.name)!.getDocumentationComment(checker));
        interfaces.set(name, `${docBlock(doc, "")}export interface ${name} {\n${members(type, "    ")}}\n`);
    }
    return [
        "// GENERATED by `npm run schema` (scripts/publicTypes.ts) from the zod schema in stacks/config.ts: do not",
        "// edit. The validated stack config as plain interfaces, for the package's public types.",
        'import { SecretValue } from "./secretValue";',
        "",
        ...[...interfaces.values()],
    ].join("\n");
}
