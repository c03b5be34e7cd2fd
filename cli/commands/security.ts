import { SEVERITY_ORDER, type SecurityFinding, type Severity } from '../../lib/security/findings'
import { securityReport } from '../../lib/security/report'
import { CliError, JSON_FLAG } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

const SEVERITIES = Object.keys(SEVERITY_ORDER) as Severity[]

/**
 * `dbadmin security [--json] [--fail-on SEVERITY] [--new-passwords]`: the Security page's report on
 * the target. Exit 1 with --fail-on when a finding is that severe or worse. The passwords that
 * password fixes would set are left out unless --new-passwords (the fix SQL holds only verifiers).
 */
async function security(ctx: CliContext): Promise<void> {
  const report = await securityReport(ctx.target())
  const withPasswords = ctx.args.flags['new-passwords'] === true
  const findings: SecurityFinding[] = report.findings.map(({ newPassword, ...f }) => (withPasswords && newPassword ? { ...f, newPassword } : f))
  if (ctx.json) ctx.print({ ...report, findings })
  else {
    ctx.out(`database ${report.database}, read as ${report.sessionUser}${report.sessionUserIsSuperuser ? ' (superuser)' : ''}`)
    for (const note of report.notes) ctx.out(`note: ${note}`)
    if (findings.length === 0) ctx.out('no findings')
    for (const f of findings) {
      ctx.out(`${f.severity.toUpperCase().padEnd(8)} ${f.title}`)
      for (const line of f.fix?.split('\n') ?? []) ctx.out(`         fix: ${line}`)
      if (f.fixNote) ctx.out(`         note: ${f.fixNote}`)
      if (f.newPassword) ctx.out(`         new password: ${f.newPassword}`)
    }
  }
  const failOn = ctx.args.flags['fail-on']
  if (typeof failOn === 'string') {
    const failing = findings.filter((f) => SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[failOn as Severity])
    if (failing.length) throw new CliError(`${failing.length} finding${failing.length === 1 ? '' : 's'} of severity ${failOn} or worse`, 1)
  }
}

export const securityCommand: Command = {
  help: 'security [--json] [--fail-on SEVERITY]   roles, grants, SSL and authentication of the target, with findings',
  subcommands: {
    '': {
      flags: { ...JSON_FLAG, 'fail-on': { type: 'string', value: 'SEVERITY', choices: SEVERITIES }, 'new-passwords': { type: 'boolean' } },
      summary: `the Security page's report: exit 1 with --fail-on (${SEVERITIES.join(', ')}) when a finding is that severe or worse; --new-passwords shows the passwords that password fixes set`,
    },
  },
  run: security,
}
