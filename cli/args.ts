import { parseArgs as parseTokens } from 'node:util'

/** The words naming the command and its subcommand, and the flags as given. */
export interface ParsedArgs {
  positional: string[]
  flags: Record<string, string | true>
}

/**
 * A flag a subcommand accepts: a switch, or one that takes a value (shown as `value` in usage),
 * optionally one of `choices`, checked with the other flags before anything runs.
 */
export type FlagSpec = { type: 'boolean' } | { type: 'string'; value: string; choices?: readonly string[]; required?: true }

export const JSON_FLAG = { json: { type: 'boolean' } } as const satisfies Record<string, FlagSpec>

/** An error to print as one line on stderr with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message)
  }
}

/** `[--to NAME] [--json]`: the flags of a subcommand as usage text. */
export function flagUsage(flags: Record<string, FlagSpec>): string {
  return Object.entries(flags)
    .map(([name, spec]) => (spec.type === 'string' ? (spec.required ? `--${name} ${spec.value}` : `[--${name} ${spec.value}]`) : `[--${name}]`))
    .join(' ')
}

/**
 * Parses the flags after the command words against what that subcommand declares, strictly: an
 * unknown flag, a flag given twice, a missing value, a value given to a switch or a stray word
 * is a CliError (exit 2) before anything runs. `--name=value` and `--name value` both work; a
 * value starting with `-` must use the `=` form, so `--to --json` is a missing value.
 */
export function parseFlags(argv: string[], flags: Record<string, FlagSpec>, where: string): Record<string, string | true> {
  const options = Object.fromEntries(Object.entries(flags).map(([name, spec]) => [name, { type: spec.type }]))
  const { tokens } = parseTokens({ args: argv, options, strict: false, allowPositionals: true, tokens: true })
  const takes = () => (Object.keys(flags).length ? `; it takes ${flagUsage(flags)}` : '; it takes no options')
  const out: Record<string, string | true> = {}
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') throw new CliError(`unexpected argument "${token.value}" for ${where}${takes()}`)
    const spec = Object.hasOwn(flags, token.name) && token.rawName.startsWith('--') ? flags[token.name] : undefined
    if (!spec) throw new CliError(`unknown option ${token.rawName} for ${where}${takes()}`)
    if (Object.hasOwn(out, token.name)) throw new CliError(`${token.rawName} is given twice`)
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new CliError(`${token.rawName} takes no value`)
      out[token.name] = true
      continue
    }
    const value = token.value
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('-'))) {
      throw new CliError(`${token.rawName} needs a value (${token.rawName} ${spec.value})`)
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new CliError(`${token.rawName} must be one of ${spec.choices.join(', ')}, not "${value}"`)
    }
    out[token.name] = value
  }
  for (const [name, spec] of Object.entries(flags)) {
    if (spec.type === 'string' && spec.required && !Object.hasOwn(out, name)) throw new CliError(`--${name} is required (--${name} ${spec.value})`)
  }
  return out
}

export function stringFlag(args: ParsedArgs, name: string, required: true): string
export function stringFlag(args: ParsedArgs, name: string, required?: false): string | undefined
export function stringFlag(args: ParsedArgs, name: string, required = false): string | undefined {
  const v = args.flags[name]
  if (v === true) throw new CliError(`--${name} needs a value`)
  if (v === undefined && required) throw new CliError(`--${name} is required`)
  return v
}

/** A positive whole number given to `--name`, e.g. a job id. */
export function idFlag(args: ParsedArgs, name: string, what: string): number {
  const raw = stringFlag(args, name, true)
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(id) || id < 1) throw new CliError(`--${name} must be ${what}, not "${raw}"`)
  return id
}
