import 'server-only'
import type { NextAuthOptions } from 'next-auth'
import CredentialsProvider from 'next-auth/providers/credentials'
import { stateDb } from '../db/server-dbs'
import { serverEnv } from '../runtime/server-env'
import { clientIpFrom } from './client-ip'
import { writeAudit } from '../audit/audit-log'
import { attemptLogin } from './login'
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
        name: 'E-mail and password',
        credentials: { email: { label: 'E-mail', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const email = String(credentials?.email ?? '')
          const password = String(credentials?.password ?? '')
          if (!email || !password) throw new Error('Enter your e-mail and password.')
          const outcome = await attemptLogin(stateDb(), {
            email,
            password,
            clientIp: clientIpFrom((req?.headers ?? {}) as Record<string, unknown>, env.trustProxy),
          })
          if (!outcome.ok) throw new Error(outcome.message)
          return { id: outcome.user.id, email: outcome.user.email, name: outcome.user.name, sv: outcome.user.sessionVersion }
        },
      }),
    ],
    events: {
      // Signing out ends the token itself, not just the cookie: a copy made before still fails.
      async signOut({ token }) {
        if (!token?.uid || typeof token.sv !== 'number') return
        const ended = await endSessions(stateDb(), token.uid, token.sv)
        await writeAudit(stateDb(), {
          actorId: token.uid,
          actorEmail: token.email ?? null,
          action: 'auth.sign_out',
          target: token.email ?? null,
          result: 'ok',
          code: 'ok',
          message: ended ? 'signed out; sessions ended' : 'signed out (session already ended)',
        })
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
