/** A value as it arrives after JSON: dates become ISO strings, undefined fields disappear. */
export type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends readonly (infer U)[]
      ? readonly Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T

/**
 * What a route handler would send for `value`: a page renders its first paint from this, so a
 * live widget sees the same shape before and after its first poll.
 */
export function toJson<T>(value: T): Json<T> {
  return JSON.parse(JSON.stringify(value)) as Json<T>
}
