/**
 * Names that suggest a secret: password, hash, token, secret, salt, credential, a key. Used to mask
 * table columns in previews and samples, and to redact fields of audited inputs. `primary_key`
 * and `monkey` are not secrets; `api_key`, `apiKey`, `private_key` and `key` are.
 */
const SECRET = /passw(or)?d|passwd|hash|token|secret|salt|credential|api_?key|private_?key|(^|[_\s-])key$|^key$/i

export function looksSecret(name: string): boolean {
  return SECRET.test(name)
}
