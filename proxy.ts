import { type NextRequest, NextResponse } from 'next/server'

/**
 * The page's Content-Security-Policy: scripts run only from this origin with this response's nonce
 * (Next puts it on its own scripts), so an injected inline script does not run. Styles stay
 * 'unsafe-inline' for React's style attributes. Dev mode also evaluates code and opens a socket.
 */
export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws:' : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ')
}

/**
 * Every page request gets a fresh nonce and its CSP (pages render per request: app/layout.tsx).
 * Visitors without a session cookie go to the login page; a convenience only, every page, action and
 * route checks the session and role itself (lib/auth).
 */
export function proxy(request: NextRequest) {
  const path = request.nextUrl.pathname
  const hasSession =
    request.cookies.has('next-auth.session-token') || request.cookies.has('__Secure-next-auth.session-token')
  if (!hasSession && path !== '/login' && !path.startsWith('/login/')) {
    const login = new URL('/login', request.url)
    const back = path + request.nextUrl.search
    if (back !== '/') login.searchParams.set('callbackUrl', back)
    return NextResponse.redirect(login)
  }
  const nonce = btoa(crypto.randomUUID())
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development')
  const headers = new Headers(request.headers)
  headers.set('x-nonce', nonce)
  // Next reads the nonce for its scripts from the request's CSP header.
  headers.set('content-security-policy', csp)
  const response = NextResponse.next({ request: { headers } })
  response.headers.set('Content-Security-Policy', csp)
  return response
}

export const config = {
  matcher: [
    {
      source: '/((?!api/|_next/|favicon.ico|icon.svg).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
}
