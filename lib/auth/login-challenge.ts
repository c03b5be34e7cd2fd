import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { derivedKey } from './secret-box'

/** How long the second step of a sign-in may wait for its code after the password was accepted. */
export const CHALLENGE_MINUTES = 5

export const SECOND_FACTOR_MESSAGE = 'Enter the code from your authenticator app, or one of your recovery codes.'

/** The key that signs sign-in challenges, derived from AUTH_SECRET. */
export function loginChallengeKey(authSecret: string): Buffer {
  return derivedKey(authSecret, 'login-challenge-v1')
}

export interface ChallengeClaims {
  userId: string
  sessionVersion: number
  /** A digest of the password hash the challenge was issued for: a password change voids it. */
  password: string
  expiresAt: number
}

function passwordDigest(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22)
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url')
}

/**
 * Proof that the password of this user was just given: the user, the session version and the
 * password it was given for, when it expires, and a nonce; signed with a key derived from
 * AUTH_SECRET. It is only good together with a second factor, and only for CHALLENGE_MINUTES.
 */
export function issueChallenge(
  key: Buffer,
  user: { id: string; sessionVersion: number; passwordHash: string },
  now = Date.now(),
): string {
  const claims = {
    u: user.id,
    v: user.sessionVersion,
    p: passwordDigest(user.passwordHash),
    e: now + CHALLENGE_MINUTES * 60_000,
    n: randomBytes(9).toString('base64url'),
  }
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
  return `${body}.${sign(key, body)}`
}

/** The claims of a challenge this key signed that has not expired, or null. */
export function readChallenge(key: Buffer, token: string, now = Date.now()): ChallengeClaims | null {
  const [body, mac, extra] = String(token).split('.')
  if (!body || !mac || extra !== undefined) return null
  const want = Buffer.from(sign(key, body))
  const got = Buffer.from(mac)
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null
  let claims: { u?: unknown; v?: unknown; p?: unknown; e?: unknown }
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (typeof claims.u !== 'string' || typeof claims.v !== 'number' || typeof claims.p !== 'string' || typeof claims.e !== 'number') return null
  if (claims.e <= now) return null
  return { userId: claims.u, sessionVersion: claims.v, password: claims.p, expiresAt: claims.e }
}

/** True when the challenge was issued for this password hash. */
export function challengeMatchesPassword(claims: ChallengeClaims, passwordHash: string): boolean {
  const want = Buffer.from(passwordDigest(passwordHash))
  const got = Buffer.from(claims.password)
  return want.length === got.length && timingSafeEqual(want, got)
}
