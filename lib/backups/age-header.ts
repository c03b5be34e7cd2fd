import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt } from 'node:crypto'
import { Decrypter, Encrypter, type Identity, type Recipient, Stanza } from 'age-encryption'
import { BackupError } from './backup-error'

/**
 * How backups are encrypted with age: a passphrase, or recipients (`age1…` public keys). Restores
 * and verifications of a recipients-encrypted backup need the matching identities
 * (`AGE-SECRET-KEY-1…`); without them only the checksum can be verified.
 */
export type AgeKeys = { passphrase: string } | { recipients: string[]; identities?: string[] }

/** age's scrypt work factor (2^18, as the age tools use): about a second and 256 MiB, once per file. */
export const SCRYPT_LOG_N = 18
const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt'
/** age refuses more than 2^20 when decrypting; so do we (a hostile file must not ask for 1 GiB). */
const SCRYPT_MAX_LOG_N = 20

function scryptKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN
  return new Promise((resolve, reject) =>
    scrypt(passphrase, Buffer.concat([Buffer.from(SCRYPT_LABEL), salt]), 32, { N, r: 8, p: 1, maxmem: 129 * N * 8 + (1 << 20) }, (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  )
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '')
const unb64 = (s: string) => Buffer.from(s, 'base64')
const ZERO_NONCE = Buffer.alloc(12)

/*
 * age-encryption's own scrypt recipient runs scrypt in JavaScript: three seconds with the event loop
 * blocked and 300 MB on the heap. These two write and read the same stanza (age's format, readable by
 * the age tools) with node:crypto's scrypt, which runs off the event loop in native memory.
 */
class NodeScryptRecipient implements Recipient {
  constructor(private readonly passphrase: string) {}
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16)
    const key = await scryptKey(this.passphrase, salt, SCRYPT_LOG_N)
    const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
    const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()])
    return [new Stanza(['scrypt', b64(salt), String(SCRYPT_LOG_N)], body)]
  }
}

class NodeScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'scrypt') continue
      if (stanzas.length !== 1) throw new Error('a scrypt stanza must be the only one in the header')
      if (s.args.length !== 3 || !/^[1-9][0-9]*$/.test(s.args[2]) || s.body.length !== 32) throw new Error('invalid scrypt stanza')
      const logN = Number(s.args[2])
      if (logN > SCRYPT_MAX_LOG_N) throw new Error('scrypt work factor is too high')
      const salt = unb64(s.args[1])
      if (salt.length !== 16) throw new Error('invalid scrypt stanza')
      const key = await scryptKey(this.passphrase, salt, logN)
      const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
      d.setAuthTag(s.body.subarray(16))
      try {
        return Buffer.concat([d.update(s.body.subarray(0, 16)), d.final()])
      } catch {
        return null // another passphrase
      }
    }
    return null
  }
}

/** Derives the payload key from the file key and the header's nonce, as age does. */
function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32))
}

export interface AgeStart {
  /** The header and the payload nonce: the first bytes of the encrypted file. */
  prefix: Buffer
  key: Buffer
}

/**
 * An age header made by age-encryption (stanzas, header MAC), and the payload key for our STREAM
 * writer. The file key is caught by an extra recipient that adds no stanza; the payload nonce is
 * read back from an encryption of the empty file, whose last 16 bytes are the empty final chunk.
 */
export async function startAgeFile(keys: AgeKeys): Promise<AgeStart> {
  const enc = new Encrypter()
  let fileKey: Uint8Array | undefined
  if ('passphrase' in keys) {
    if (!keys.passphrase) throw new BackupError('invalid_input', 'The backup passphrase is empty.')
    enc.addRecipient(new NodeScryptRecipient(keys.passphrase))
  } else {
    if (!keys.recipients.length) throw new BackupError('invalid_input', 'No age recipient is configured to encrypt backups for.')
    for (const r of keys.recipients) {
      try {
        enc.addRecipient(r)
      } catch (e) {
        throw new BackupError('invalid_input', `Not an age recipient (${(e as Error).message}): ${r.slice(0, 12)}…`)
      }
    }
  }
  enc.addRecipient({ wrapFileKey: (k) => ((fileKey = k), []) })
  const empty = Buffer.from(await enc.encrypt(new Uint8Array(0)))
  const prefix = empty.subarray(0, empty.length - 16)
  return { prefix: Buffer.from(prefix), key: payloadKey(fileKey!, prefix.subarray(prefix.length - 16)) }
}

/** Where the header ends ("--- <mac>\n"), or -1 when these bytes do not hold all of it yet. */
export function headerEnd(bytes: Buffer): number {
  if (!bytes.subarray(0, 22).toString('latin1').startsWith('age-encryption.org/v1\n')) return -2
  const mac = bytes.indexOf('\n--- ', 0, 'latin1')
  if (mac < 0) return -1
  const nl = bytes.indexOf(0x0a, mac + 1)
  return nl < 0 ? -1 : nl + 1
}

export interface AgeOpened {
  /** Bytes before the payload: header and nonce. */
  payloadStart: number
  key: Buffer
}

/**
 * Reads the header at the start of an encrypted file, checks its MAC with the file key that the
 * passphrase or an identity unwraps, and returns the payload key. A wrong passphrase is a clear
 * error, not a damaged stream later.
 */
export async function openAgeFile(start: Buffer, keys: AgeKeys): Promise<AgeOpened> {
  const end = headerEnd(start)
  if (end === -2) throw new BackupError('decrypt_failed', 'This file is not age-encrypted.')
  if (end < 0 || start.length < end + 16) throw new BackupError('decrypt_failed', 'The age header is damaged or cut short.')
  const dec = new Decrypter()
  if ('passphrase' in keys) dec.addIdentity(new NodeScryptIdentity(keys.passphrase))
  else {
    if (!keys.identities?.length) {
      throw new BackupError('decrypt_failed', 'This backup is encrypted to age recipients, and no identity (secret key) is configured to open it.')
    }
    for (const i of keys.identities) dec.addIdentity(i)
  }
  let fileKey: Uint8Array
  try {
    fileKey = await dec.decryptHeader(start.subarray(0, end))
  } catch (e) {
    const msg = (e as Error).message
    if (/no identity matched/.test(msg)) {
      throw new BackupError('decrypt_failed', 'passphrase' in keys ? 'Wrong passphrase: it does not open this backup.' : 'None of the configured identities opens this backup.')
    }
    throw new BackupError('decrypt_failed', `The age header could not be read: ${msg}`)
  }
  return { payloadStart: end + 16, key: payloadKey(fileKey, start.subarray(end, end + 16)) }
}
