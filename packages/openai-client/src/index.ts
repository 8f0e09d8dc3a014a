export * as OpenAiClient from "./OpenAiClient.ts"
export * as RetryPolicy from "./RetryPolicy.ts"
