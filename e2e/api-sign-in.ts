import type { APIRequestContext } from '@playwright/test'

/**
 * Signs in through next-auth's credentials endpoint as the login form does, with extra headers
 * (a forged X-Forwarded-For). Resolves with null on success, or the error the form would show.
 */
export async function apiSignIn(api: APIRequestContext, email: string, password: string, headers: Record<string, string> = {}): Promise<string | null> {
  const { csrfToken } = (await (await api.get('/api/auth/csrf')).json()) as { csrfToken: string }
  const res = await api.post('/api/auth/callback/credentials', {
    form: { email, password, csrfToken, json: 'true', callbackUrl: '/overview' },
    headers,
    maxRedirects: 0,
  })
  const { url } = (await res.json()) as { url: string }
  const error = new URL(url).searchParams.get('error')
  return error
}
