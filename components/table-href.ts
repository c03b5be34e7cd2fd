/**
 * Links into the schema pages. Names are data: they travel as query parameters (never path
 * segments), so quotes, slashes, spaces, emoji and `?#&` all round-trip.
 */
export function tableHref(schema: string, name: string): string {
  return `/schema/table?${new URLSearchParams({ schema, name })}`
}

/** The `id` of an enum's row on the types page. */
export function enumAnchor(schema: string, name: string): string {
  return encodeURIComponent(`${schema}.${name}`)
}

export function enumHref(schema: string, name: string): string {
  return `/schema/types#${enumAnchor(schema, name)}`
}
