import { redirect } from 'next/navigation'
import { safeCallbackPath } from '@/lib/auth/callback-url'
import { currentUser } from '@/lib/auth/current-user'
import { LoginForm } from './login-form'

export const dynamic = 'force-dynamic'

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; ended?: string; error?: string }>
}) {
  const params = await searchParams
  if (await currentUser()) redirect('/overview')
  // Only paths of this dashboard: a login page must not become an open redirect.
  const back = safeCallbackPath(typeof params.callbackUrl === 'string' ? params.callbackUrl : undefined)
  return (
    <main className="login">
      <div className="card">
        <h1>DoR DB Admin</h1>
        <p className="muted">Sign in to manage the database.</p>
        {params.ended ? <div className="banner warn">Your session has ended. Sign in again.</div> : null}
        <LoginForm callbackUrl={back} />
      </div>
    </main>
  )
}
