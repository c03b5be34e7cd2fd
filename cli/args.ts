/** Minimal argv parsing: positional words, `--flag`, `--key value` and `--key=value`. */
export interface ParsedArgs {
  positional: string[]
  flags: Record<string, string | true>
}

/** Flags that never take a value, so `--json status` keeps `status` as a word. */
const BOOLEAN_FLAGS = new Set(['json', 'help', 'fail-on-findings', 'yes', 'system'])

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = []
  const flags: Record<string, string | true> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1)
      else if (!BOOLEAN_FLAGS.has(arg.slice(2)) && i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[arg.slice(2)] = argv[++i]
      else flags[arg.slice(2)] = true
    } else positional.push(arg)
  }
  return { positional, flags }
}

/** An error to print as one line on stderr with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message)
  }
}

export function stringFlag(args: ParsedArgs, name: string, required: true): string
export function stringFlag(args: ParsedArgs, name: string, required?: false): string | undefined
export function stringFlag(args: ParsedArgs, name: string, required = false): string | undefined {
  const v = args.flags[name]
  if (v === true) throw new CliError(`--${name} needs a value`)
  if (v === undefined && required) throw new CliError(`--${name} is required`)
  return v
}
