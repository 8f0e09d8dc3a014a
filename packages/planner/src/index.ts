export { OpenAiClient, RetryPolicy } from "@longsora/openai-client"
export * as OpenAiPlanner from "./OpenAiPlanner.ts"
export * as PlannerPrompt from "./PlannerPrompt.ts"
export * as PlanSchema from "./PlanSchema.ts"
