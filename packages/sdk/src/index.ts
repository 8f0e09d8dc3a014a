export * as CreateVideoParams from "./CreateVideoParams.ts"
export * as LongSora from "./LongSora.ts"
export { AsyncOpenAI, OpenAI, OpenAI as default } from "./OpenAI.ts"
