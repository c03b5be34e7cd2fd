/**
 * Reads the JSON of `npm audit --json` and decides whether the build fails: only on a high or
 * critical advisory that has a fix (a version to move to). Advisories without a fix are listed but
 * do not fail, since nothing can be done about them here; a registry that offers no audit endpoint
 * (the 405 some mirrors send) or cannot be reached means no advisory data, said plainly, not a pass
 * dressed as a clean result.
 */

export const FAILING_SEVERITIES = ['high', 'critical'] as const

export interface AuditAdvisory {
  package: string
  severity: string
  /** Titles of the advisories, or the packages it is vulnerable through. */
  via: string[]
  direct: boolean
  /** `npm audit fix` can fix it; `major` when only a semver-major upgrade (npm audit fix --force) does. */
  fix: false | { name: string; version: string; major: boolean } | true
}

export type AuditDecision =
  | { kind: 'no_data'; exitCode: 0; reason: string }
  | { kind: 'checked'; exitCode: 0 | 1; failing: AuditAdvisory[]; unfixable: AuditAdvisory[]; below: AuditAdvisory[]; dependencies: number | null }
  | { kind: 'error'; exitCode: 2; reason: string }

// The endpoint does not exist there (404), is not offered (405, 501), or the network is absent.
const NO_ENDPOINT_STATUS = new Set([404, 405, 501])
const UNREACHABLE = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH)\b/

function advisory(v: any): AuditAdvisory {
  const fix = v.fixAvailable
  return {
    package: String(v.name),
    severity: String(v.severity),
    via: (Array.isArray(v.via) ? v.via : []).map((x: any) => (typeof x === 'string' ? x : String(x?.title ?? x?.name ?? '?'))),
    direct: !!v.isDirect,
    fix: fix === true ? true : fix && typeof fix === 'object' ? { name: String(fix.name), version: String(fix.version), major: !!fix.isSemVerMajor } : false,
  }
}

export function decideAudit(stdout: string): AuditDecision {
  let report: any
  try {
    report = JSON.parse(stdout)
  } catch {
    return { kind: 'error', exitCode: 2, reason: `npm audit did not print JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}` }
  }
  const status = Number(report?.statusCode)
  if (NO_ENDPOINT_STATUS.has(status)) {
    return { kind: 'no_data', exitCode: 0, reason: `the registry answered the audit request with ${status}${report.method ? ` (${report.method} ${report.uri})` : ''}` }
  }
  const message = String(report?.message ?? report?.error?.summary ?? '')
  if (!report?.auditReportVersion && UNREACHABLE.test(message)) {
    return { kind: 'no_data', exitCode: 0, reason: `the registry could not be reached (${message.match(UNREACHABLE)![1]})` }
  }
  if (report?.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object') {
    return { kind: 'error', exitCode: 2, reason: `npm audit failed: ${message || JSON.stringify(report).slice(0, 200)}` }
  }
  const all = Object.values(report.vulnerabilities as Record<string, unknown>).map(advisory)
  const serious = all.filter((a) => (FAILING_SEVERITIES as readonly string[]).includes(a.severity))
  const failing = serious.filter((a) => a.fix !== false)
  return {
    kind: 'checked',
    exitCode: failing.length > 0 ? 1 : 0,
    failing,
    unfixable: serious.filter((a) => a.fix === false),
    below: all.filter((a) => !serious.includes(a)),
    dependencies: Number.isFinite(report.metadata?.dependencies?.prod) ? report.metadata.dependencies.prod : null,
  }
}

function line(a: AuditAdvisory): string {
  const fix = a.fix === true ? 'fix: npm audit fix' : a.fix ? `fix: ${a.fix.name}@${a.fix.version}${a.fix.major ? ' (semver-major: npm audit fix --force, then test)' : ''}` : 'no fix available'
  return `  ${a.severity.padEnd(8)} ${a.package}${a.direct ? '' : ' (indirect)'} via ${a.via.join(', ')}: ${fix}`
}

/** What the script prints: one headline, then the advisories by group. */
export function describeDecision(d: AuditDecision): string[] {
  if (d.kind === 'no_data') {
    return [`audit:deps: NO ADVISORY DATA: ${d.reason}. Nothing was checked; this is not a clean result. Run it where the registry offers npm's audit endpoint.`]
  }
  if (d.kind === 'error') return [`audit:deps: ERROR: ${d.reason}`]
  const deps = d.dependencies === null ? 'production dependencies' : `${d.dependencies} production dependencies`
  const out = [
    d.failing.length > 0
      ? `audit:deps: FAIL: ${d.failing.length} high or critical advisor${d.failing.length === 1 ? 'y has' : 'ies have'} a fix (${deps} checked).`
      : `audit:deps: ok: no high or critical advisory with a fix (${deps} checked).`,
  ]
  if (d.failing.length) out.push('Fix these:', ...d.failing.map(line))
  if (d.unfixable.length) out.push('High or critical without a fix yet (not failing; watch them):', ...d.unfixable.map(line))
  if (d.below.length) out.push(`Below high (not failing): ${d.below.map((a) => `${a.package} (${a.severity})`).join(', ')}`)
  return out
}
