// Writes homelab.schema.json: the JSON Schema of a Pulumi.<stack>.yaml file, generated from the
// zod schema in stacks/config.ts, so editors complete and check stack files. `npm run schema`.
import * as fs from "fs";
import * as path from "path";
import { stackFileJsonSchema } from "../stacks/config";

export const schemaFile = path.join(__dirname, "..", "homelab.schema.json");

export function schemaText(): string {
    return `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
    fs.writeFileSync(schemaFile, schemaText());
    process.stdout.write(`wrote ${schemaFile}\n`);
}
