export * as Cli from "./Cli.ts"
export * as ExitCode from "./ExitCode.ts"
export * as ProgressView from "./ProgressView.ts"
export * as Reporters from "./Reporters.ts"
