import type { APIRequestContext } from '@playwright/test'
import { readSignInError } from '../lib/auth/sign-in-steps'

async function callback(api: APIRequestContext, provider: string, form: Record<string, string>, headers: Record<string, string>): Promise<string | null> {
  const { csrfToken } = (await (await api.get('/api/auth/csrf')).json()) as { csrfToken: string }
  const res = await api.post(`/api/auth/callback/${provider}`, {
    form: { ...form, csrfToken, json: 'true', callbackUrl: '/overview' },
    headers,
    maxRedirects: 0,
  })
  const { url } = (await res.json()) as { url: string }
  return new URL(url).searchParams.get('error')
}

/**
 * Signs in through next-auth's credentials endpoint as the login form does, with extra headers
 * (a forged X-Forwarded-For). Resolves with null on success, or the error the form would show.
 */
export async function apiSignIn(api: APIRequestContext, email: string, password: string, headers: Record<string, string> = {}): Promise<string | null> {
  return callback(api, 'credentials', { email, password }, headers)
}

/** The password step of an account with two-factor sign-in: the challenge the code must go with. */
export async function apiChallenge(api: APIRequestContext, email: string, password: string): Promise<string> {
  const answer = readSignInError(await apiSignIn(api, email, password))
  if (answer.kind !== 'second_factor') throw new Error(`expected a request for the second factor, got ${JSON.stringify(answer)}`)
  return answer.challenge
}

/** The second step; null on success, else the message the form would show. */
export async function apiSecondFactor(api: APIRequestContext, challenge: string, code: string): Promise<string | null> {
  return callback(api, 'two-factor', { challenge, code }, {})
}
