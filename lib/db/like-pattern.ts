/** Escapes LIKE wildcards so that the text matches literally (default escape character `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c)
}

/** `%text%` for (I)LIKE, the text's own `%`, `_` and `\` matched literally. */
export function containsPattern(text: string): string {
  return '%' + escapeLike(text) + '%'
}
