import 'server-only'
import type { NextAuthOptions } from 'next-auth'
import CredentialsProvider from 'next-auth/providers/credentials'
import { stateDb } from '../db/server-dbs'
import { serverEnv } from '../runtime/server-env'
import { clientIpFrom } from './client-ip'
import { writeAudit } from '../audit/audit-log'
import { requestClientIp } from './client-request'
import { attemptLogin } from './login'
import { loginChallengeKey } from './login-challenge'
import { SECOND_FACTOR_REQUIRED, SIGN_IN_AGAIN } from './sign-in-steps'
import { totpKey } from './totp'
import { completeSecondFactor } from './two-factor-login'
import { endSessions } from './users'

declare module 'next-auth' {
  interface Session {
    uid?: string
    sv?: number
  }
  interface User {
    sv?: number
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    uid?: string
    sv?: number
  }
}

let options: NextAuthOptions | undefined


/**
 * A sign-in that cannot be checked or recorded (the state database is down or refuses writes) is
 * refused with a plain message; the cause goes to the server log, not to the login page.
 */
async function unlessUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    console.error('[dbadmin] sign-in could not be checked or recorded:', e)
    throw new Error('Signing in is not possible right now: the dashboard cannot record it. Try again shortly.')
  }
}

export function authOptions(): NextAuthOptions {
  if (options) return options
  const env = serverEnv()
  options = {
    secret: env.authSecret,
    session: { strategy: 'jwt', maxAge: Math.round(env.sessionHours * 3600) },
    jwt: { maxAge: Math.round(env.sessionHours * 3600) },
    pages: { signIn: '/login', error: '/login' },
    providers: [
      CredentialsProvider({
        id: 'credentials',
        name: 'E-mail and password',
        credentials: { email: { label: 'E-mail', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const email = String(credentials?.email ?? '')
          const password = String(credentials?.password ?? '')
          if (!email || !password) throw new Error('Enter your e-mail and password.')
          const outcome = await unlessUnavailable(() =>
            attemptLogin(stateDb(), {
              email,
              password,
              clientIp: clientIpFrom((req?.headers ?? {}) as Record<string, unknown>, env.trustProxy),
              challengeKey: loginChallengeKey(env.authSecret),
            }),
          )
          // A password alone never makes a session for an account with two-factor sign-in: the form
          // gets the challenge and asks for the code (the two-factor provider below).
          if (!outcome.ok && outcome.code === 'second_factor_required') throw new Error(SECOND_FACTOR_REQUIRED + outcome.challenge)
          if (!outcome.ok) throw new Error(outcome.message)
          return { id: outcome.user.id, email: outcome.user.email, name: outcome.user.name, sv: outcome.user.sessionVersion }
        },
      }),
      CredentialsProvider({
        id: 'two-factor',
        name: 'Two-factor code',
        credentials: { challenge: { label: 'Challenge', type: 'text' }, code: { label: 'Code', type: 'text' } },
        async authorize(credentials, req) {
          const challenge = String(credentials?.challenge ?? '')
          const code = String(credentials?.code ?? '').trim()
          if (!code) throw new Error('Enter the code.')
          const outcome = await unlessUnavailable(() =>
            completeSecondFactor(
              stateDb(),
              { challenge: loginChallengeKey(env.authSecret), totp: totpKey(env.authSecret) },
              { challenge, code, clientIp: clientIpFrom((req?.headers ?? {}) as Record<string, unknown>, env.trustProxy) },
            ),
          )
          if (!outcome.ok) throw new Error(outcome.code === 'challenge_invalid' ? SIGN_IN_AGAIN + outcome.message : outcome.message)
          return { id: outcome.user.id, email: outcome.user.email, name: outcome.user.name, sv: outcome.user.sessionVersion }
        },
      }),
    ],
    events: {
      // Signing out ends the token itself, not just the cookie: a copy made before still fails.
      async signOut({ token }) {
        if (!token?.uid || typeof token.sv !== 'number') return
        const ended = await endSessions(stateDb(), token.uid, token.sv)
        // The session has ended whatever happens here: a sign-out is never refused for want of its record.
        await writeAudit(stateDb(), {
          actorId: token.uid,
          actorEmail: token.email ?? null,
          action: 'auth.sign_out',
          target: token.email ?? null,
          result: 'ok',
          code: 'ok',
          message: ended ? 'signed out; sessions ended' : 'signed out (session already ended)',
          clientIp: await requestClientIp().catch(() => null),
        }).catch((e: unknown) => console.error('[dbadmin] the sign-out could not be audited:', e))
      },
    },
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = user.id
          token.sv = user.sv
        }
        return token
      },
      session({ session, token }) {
        session.uid = token.uid
        session.sv = token.sv
        return session
      },
    },
  }
  return options
}
