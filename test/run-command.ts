import { spawn } from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '..')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command from the repository root (or `cwd`) with only the environment given (plus PATH and HOME). */
export function run(command: string, args: string[], env: Record<string, string>, timeoutMs = 45_000, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      // Next's types require NODE_ENV in ProcessEnv; the CLI must not need it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env } as unknown as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The CLI as `npm run dbadmin` runs it; in `cwd`, a copy of the project, when given. */
export function runDbadmin(args: string[], env: Record<string, string>, cwd = ROOT): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', ...args], env, 45_000, cwd)
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}
