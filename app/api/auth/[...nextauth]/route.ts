import NextAuth from 'next-auth'
import { NextRequest } from 'next/server'
import { ActionError } from '@/lib/auth/action-result'
import { authOptions } from '@/lib/auth/auth-options'
import { readBodyUpTo } from '@/lib/auth/route-request'

type Context = { params: Promise<{ nextauth: string[] }> }

/** Sign-in and sign-out forms take well under 1 KB; anyone may post them, so nothing larger is read. */
const AUTH_BODY_BYTES = 64 * 1024

// Options are built per request (not at import) so that `next build` needs no database settings.
async function handler(request: Request, context: Context) {
  return NextAuth(request as never, context as never, authOptions())
}

/** next-auth reads the whole body, before any session exists: it gets the body only once it is known to be small. */
async function post(request: NextRequest, context: Context) {
  let body: Buffer
  try {
    body = await readBodyUpTo(request, AUTH_BODY_BYTES)
  } catch (e) {
    if (!(e instanceof ActionError)) throw e
    return Response.json({ ok: false, code: e.code, message: e.message }, { status: 413 })
  }
  return handler(new NextRequest(request.url, { method: 'POST', headers: request.headers, body: new Uint8Array(body) }), context)
}

export { handler as GET, post as POST }
