/** Validates bodies against the published OpenAI OpenAPI schemas (parsed once per test file). */
import { readFileSync } from "node:fs"
import { Ajv2020 } from "ajv/dist/2020.js"
import { parse } from "yaml"

const SPEC = "/work/shared/reference/openai-openapi.yaml"
let ajv: Ajv2020 | undefined

const load = (): Ajv2020 => {
  if (ajv) return ajv
  const doc = parse(readFileSync(SPEC, "utf8")) as { components: { schemas: Record<string, unknown> } }
  // OpenAPI 3.1 schemas are JSON Schema 2020-12 plus vendor keywords; strict:false ignores those.
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
  ajv.addSchema({ $id: "openapi", components: doc.components }, "openapi")
  return ajv
}

/** Throws with ajv's messages when `body` does not match `components/schemas/<name>`. */
export const expectSchema = (name: string, body: unknown): void => {
  const validate = load().getSchema(`openapi#/components/schemas/${name}`)
  if (!validate) throw new Error(`no schema ${name}`)
  if (!validate(body)) {
    throw new Error(
      `${name} mismatch: ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(body).slice(0, 500)}`
    )
  }
}
