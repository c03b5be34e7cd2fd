import { requireUser } from '@/lib/auth/current-user'
import { twoFactorStatus } from '@/lib/auth/totp'
import { adminTwoFactorRequired } from '@/lib/auth/two-factor-policy'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { EnrolPanel } from './_components/enrol-panel'
import { EnrolledPanel } from './_components/enrolled-panel'

export default async function AccountPage({ searchParams }: { searchParams: Promise<{ setup?: string }> }) {
  const user = await requireUser('account.two_factor', { beforeTwoFactor: true })
  const [status, required, params] = await Promise.all([twoFactorStatus(stateDb(), user.id), adminTwoFactorRequired(stateDb()), searchParams])
  const mustKeep = user.role === 'admin' && required
  return (
    <>
      <h1>Your account</h1>
      {params.setup === 'required' && !status.enrolled ? (
        <div className="banner warn" role="alert" data-testid="two-factor-required">
          Admins must use two-factor sign-in. Set it up here before doing anything else.
        </div>
      ) : null}
      <div className="card" data-testid="two-factor">
        <h2>Two-factor sign-in</h2>
        {status.enrolled ? (
          <>
            <p>
              <span className="badge ok">on</span> since {formatTimestamp(status.confirmedAt)}. Signing in asks for a code from your
              authenticator app after your password. <span data-testid="recovery-codes-left">{status.recoveryCodesLeft}</span> unused recovery
              codes left.
            </p>
            <EnrolledPanel mustKeep={mustKeep} />
          </>
        ) : (
          <>
            <p>
              <span className="badge muted">off</span> Your password alone signs you in. With two-factor sign-in, an authenticator app (any
              TOTP app) gives a code that changes every 30 seconds, which signing in asks for after your password.
            </p>
            <EnrolPanel />
          </>
        )}
      </div>
    </>
  )
}
