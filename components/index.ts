// The library's public surface: `import { ProxmoxHost } from "homelab"`. Importing it creates
// nothing; the stack program is index.ts at the top level.
export * from "./proxmoxHost";
export * from "./nasVm";
export { DockerHost, DockerHostArgs, ShareMountArgs, ShareProtocol, nodeMountPath, sshOptions } from "./dockerHost";
export * from "./app";
export * from "./reverseProxy";
export * from "./cloudflareDns";
export * from "./cloudflareTunnel";
export * from "./cloudflareAccess";
export * from "./highAvailability";
export * from "./lxcContainer";
export { ShareServer, ShareServerArgs, ShareServerKind, NfsShareArgs, nfsScriptPath, shareServerProblem } from "./shareServer";
export * from "./firewall";
export * from "./backupJob";
export * from "./remoteScript";
export { catalog, CatalogEntry, databaseImages } from "./catalog";
export * from "../stacks/labConfig";
export { SecretValue } from "../stacks/secretValue";
export { validateLab, ConfigError, ConfigIssue } from "../stacks/validate";
export { LabArgs, labDocumentConfig } from "../stacks/labDocument";
export { Lab, LabOptions, LabOutputs, LabRoute, buildLab } from "../stacks/lab";
export { loadLabConfig } from "../stacks/load";
export { appArgs, ResolvedApp, resolveApp, shareOwners } from "../stacks/apps";
