import { type NextRequest, NextResponse } from 'next/server'

/**
 * Sends visitors without a session cookie to the login page. A convenience only: every page,
 * action and route checks the session and role itself (lib/auth).
 */
export function proxy(request: NextRequest) {
  const hasSession =
    request.cookies.has('next-auth.session-token') || request.cookies.has('__Secure-next-auth.session-token')
  if (hasSession) return NextResponse.next()
  const login = new URL('/login', request.url)
  const back = request.nextUrl.pathname + request.nextUrl.search
  if (back !== '/') login.searchParams.set('callbackUrl', back)
  return NextResponse.redirect(login)
}

export const config = {
  matcher: ['/((?!login|api/|_next/|favicon.ico).*)'],
}
