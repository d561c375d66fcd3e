// The multi-language component package: what `pulumi package add` offers Python, Go, C#, Java and
// YAML programs (see PulumiPlugin.yaml). Pulumi's plugin host loads package.json `main` (this
// module, compiled) and serves every ComponentResource class it exports; its analyzer then reads
// their Args from the TypeScript sources. `Lab` here is stacks/labDocument.ts's: the stack config
// as a YAML or JSON document and its secrets as a map (the typed config of TypeScript's Lab has
// unions the package schema cannot express); it makes the same component and resources.
// test/analyzer.test.ts checks that every component the library exports is here.
export { App } from "./app";
export { BackupJob } from "./backupJob";
export { CloudflareAccess } from "./cloudflareAccess";
export { CloudflareDns } from "./cloudflareDns";
export { CloudflareTunnel } from "./cloudflareTunnel";
export { DockerHost } from "./dockerHost";
export { Firewall } from "./firewall";
export { HighAvailability } from "./highAvailability";
export { Lab } from "../stacks/labDocument";
export { LxcContainer } from "./lxcContainer";
export { NasVm } from "./nasVm";
export { ProxmoxHost } from "./proxmoxHost";
export { ReverseProxy } from "./reverseProxy";
export { ShareServer } from "./shareServer";
