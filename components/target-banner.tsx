import { describeUrl } from '@/lib/db/connect'
import { targetDb } from '@/lib/db/server-dbs'
import { getTargetIdentity } from '@/lib/overview/overview'
import { serverEnv } from '@/lib/runtime/server-env'
import { describeDbError } from '@/lib/db/db-errors'

/** Which database this dashboard manages, on every page; a clear banner when it does not answer. */
export async function TargetIdentityBar() {
  const env = serverEnv()
  const where = describeUrl(env.targetUrl)
  try {
    const id = await getTargetIdentity(targetDb(), where)
    return (
      <div className="target" data-testid="target-identity">
        <strong>{id.database}</strong>
        <span className="muted">
          {id.host}:{id.port}
        </span>
        <span className="badge muted">PostgreSQL {id.serverVersion}</span>
        {env.demo ? <span className="badge demo">embedded demo</span> : <span className="badge prod">live database</span>}
      </div>
    )
  } catch (e) {
    return (
      <div className="target" data-testid="target-identity">
        <strong>{where.database}</strong>
        <span className="muted">
          {where.host}:{where.port}
        </span>
        <span className="badge bad" title={describeDbError(e)}>
          unreachable
        </span>
      </div>
    )
  }
}

export async function TargetUnreachableBanner() {
  const env = serverEnv()
  const where = describeUrl(env.targetUrl)
  try {
    await targetDb().selectNoFrom((eb) => eb.val(1).as('one')).execute()
    return null
  } catch (e) {
    return (
      <div className="banner bad" role="alert">
        The managed database {where.database} at {where.host}:{where.port} is not answering ({describeDbError(e)}). Pages
        that read it will show what they can; this clears when it is back.
      </div>
    )
  }
}
