/**
 * `Range: bytes=…` as a CDN answers it (RFC 9110 §14): one satisfiable range gives 206 with that
 * slice; a range starting past the end gives 416; several ranges, another unit or a malformed
 * header are ignored (200 with the whole file), which the RFC allows.
 */
export type RangeAnswer =
  | { readonly _tag: "Whole" }
  | { readonly _tag: "Slice"; readonly start: number; readonly end: number }
  | { readonly _tag: "Unsatisfiable" }

const WHOLE: RangeAnswer = { _tag: "Whole" }

/** `end` is inclusive, as in `Content-Range`. */
export const parseRange = (header: string | undefined, size: number): RangeAnswer => {
  if (header === undefined) return WHOLE
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  // Multiple ranges (a comma) and anything malformed: the whole file.
  if (!match) return WHOLE
  const [, first = "", last = ""] = match
  if (first === "" && last === "") return WHOLE
  if (first === "") {
    // Suffix range: the last N bytes.
    const n = Number(last)
    if (n === 0 || size === 0) return { _tag: "Unsatisfiable" }
    return { _tag: "Slice", start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(first)
  const end = last === "" ? Number.POSITIVE_INFINITY : Number(last)
  // An invalid range (last before first) is ignored; a valid one starting past the end cannot be met.
  if (end < start) return WHOLE
  if (start >= size) return { _tag: "Unsatisfiable" }
  return { _tag: "Slice", start, end: Math.min(end, size - 1) }
}
