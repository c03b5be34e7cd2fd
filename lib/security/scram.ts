import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

const ITERATIONS = 4096

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it (what psql's \password sends): a statement
 * `ALTER ROLE … PASSWORD '<verifier>'` sets the password without its plain text ever reaching
 * the server, its log or pg_stat_statements. The password must be ASCII (SASLprep is then the
 * identity), which every password generated here is.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error('scramVerifier takes printable ASCII passwords only')
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}
