// The multi-language component package: what `pulumi package add` offers Python, Go, C#, Java and
// YAML programs (see PulumiPlugin.yaml). Pulumi's plugin host loads package.json `main` (this
// module, compiled) and serves every ComponentResource class it exports; its analyzer then reads
// their Args from the TypeScript sources. `Lab` is not here: its argument is the whole stack config
// in the shape of Pulumi.<stack>.yaml, with unions the package schema cannot express; TypeScript
// programs use it from the library entry (index.ts). test/analyzer.test.ts checks that every other
// exported component is here.
export { App } from "./app";
export { BackupJob } from "./backupJob";
export { CloudflareAccess } from "./cloudflareAccess";
export { CloudflareDns } from "./cloudflareDns";
export { CloudflareTunnel } from "./cloudflareTunnel";
export { DockerHost } from "./dockerHost";
export { Firewall } from "./firewall";
export { HighAvailability } from "./highAvailability";
export { LxcContainer } from "./lxcContainer";
export { NasVm } from "./nasVm";
export { ProxmoxHost } from "./proxmoxHost";
export { ReverseProxy } from "./reverseProxy";
export { ShareServer } from "./shareServer";
