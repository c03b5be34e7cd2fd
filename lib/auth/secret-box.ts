import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * A 32-byte key for one purpose, derived from AUTH_SECRET: a copy of the state database alone does
 * not reveal what is sealed with it. Changing AUTH_SECRET makes those values unreadable.
 */
export function derivedKey(authSecret: string, purpose: string): Buffer {
  if (authSecret.length < 32) throw new Error('The secret to derive keys from must be at least 32 characters')
  return Buffer.from(hkdfSync('sha256', authSecret, 'dor-db-admin', purpose, 32))
}

const VERSION = 'v1'

/** AES-256-GCM; `context` (e.g. the user id) is authenticated, so a sealed value cannot be moved to another row. */
export function seal(key: Buffer, plain: string, context: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(context))
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':')
}

/** The sealed value, or null when it was sealed under another key or context, or was altered. */
export function open(key: Buffer, sealed: string, context: string): string | null {
  const [version, iv, tag, body] = sealed.split(':')
  if (version !== VERSION || !iv || !tag || body === undefined) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(Buffer.from(tag, 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    return null
  }
}
