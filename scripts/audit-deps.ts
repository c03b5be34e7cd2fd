/**
 * npm run audit:deps — `npm audit --omit=dev --audit-level=high`, judged by lib/deps/npm-audit.ts:
 * exit 1 on a high or critical advisory with a fix, 0 when there is none or when the registry gives
 * no advisory data (said plainly), 2 when npm audit itself failed.
 */
import { spawn } from 'node:child_process'
import { decideAudit, describeDecision } from '../lib/deps/npm-audit'

const NPM_ARGS = ['audit', '--omit=dev', '--audit-level=high', '--json']

function main() {
  if (process.argv.length > 2) {
    console.error(`audit:deps takes no arguments (got ${process.argv.slice(2).join(' ')}); set npm_config_registry to audit against another registry.`)
    process.exitCode = 2
    return
  }
  // Under `npm run` use the same npm that runs us; alone, the one on PATH.
  const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : null
  const child = spawn(npmCli ? process.execPath : 'npm', npmCli ? [npmCli, ...NPM_ARGS] : NPM_ARGS, { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  child.on('error', (e) => {
    console.error(`audit:deps: ERROR: could not run npm: ${e.message}`)
    process.exitCode = 2
  })
  child.on('close', () => {
    const decision = decideAudit(Buffer.concat(out).toString('utf8'))
    const lines = describeDecision(decision)
    if (decision.kind === 'error') lines.push(...Buffer.concat(err).toString('utf8').trim().split('\n').slice(0, 10).map((l) => `  ${l}`))
    console.log(lines.join('\n'))
    process.exitCode = decision.exitCode
  })
}

main()
