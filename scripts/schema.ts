// Writes homelab.schema.json: the JSON Schema of a Pulumi.<stack>.yaml file, generated from the
// zod schema in stacks/config.ts, so editors complete and check stack files; and stacks/labConfig.ts,
// the same config as plain interfaces for the package's public types. `npm run schema`.
import * as fs from "fs";
import * as path from "path";
import { stackFileJsonSchema } from "../stacks/config";
import { labConfigFile, labConfigText } from "./publicTypes";

export const schemaFile = path.join(__dirname, "..", "homelab.schema.json");

export function schemaText(): string {
    return `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
    fs.writeFileSync(schemaFile, schemaText());
    fs.writeFileSync(labConfigFile, labConfigText());
    process.stdout.write(`wrote ${schemaFile} and ${labConfigFile}\n`);
}
