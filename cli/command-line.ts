import { CliError, flagUsage, type ParsedArgs, parseFlags } from './args'
import type { Command } from './command'

export type CommandLine = { kind: 'help'; text: string; exitCode: number } | { kind: 'run'; command: Command; args: ParsedArgs }

function usage(commands: Record<string, Command>): string {
  return [
    'usage: dbadmin <command> [options]',
    '',
    ...Object.values(commands).map((c) => '  ' + c.help),
    '',
    'Reads DATABASE_URL and STATE_DATABASE_URL; with neither set it uses the embedded demo cluster,',
    'starting it when it is not running.',
  ].join('\n')
}

function commandUsage(name: string, command: Command, only?: string): string {
  const subs = Object.entries(command.subcommands).filter(([sub]) => only === undefined || sub === only)
  const lines = subs.map(([sub, s]) => {
    const words = (s.args ?? []).map((a) => (a.required ? a.name : `[${a.name}]`)).join(' ')
    const synopsis = ['dbadmin', name, sub, words, flagUsage(s.flags)].filter(Boolean).join(' ')
    return `  ${synopsis}\n      ${s.summary}`
  })
  return ['usage:', ...lines].join('\n')
}

/**
 * The command and subcommand words come first, then that subcommand's flags, parsed strictly.
 * `--help` (or `-h`) anywhere prints the usage of what precedes it and runs nothing.
 */
export function resolveCommandLine(argv: string[], commands: Record<string, Command>): CommandLine {
  const end = argv.indexOf('--')
  const wantsHelp = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')
  const [name, maybeSub] = argv
  if (name === undefined) return { kind: 'help', text: usage(commands), exitCode: 2 }
  if (name === 'help' || name === '--help' || name === '-h') return { kind: 'help', text: usage(commands), exitCode: 0 }
  if (name.startsWith('-')) throw new CliError(`the command comes first: dbadmin <command> [options], not ${name} first\n${usage(commands)}`)
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!command) throw new CliError(`unknown command "${name}"\n${usage(commands)}`)

  const words = Object.keys(command.subcommands).filter((s) => s !== '')
  let sub: string
  if (maybeSub !== undefined && !maybeSub.startsWith('-') && words.length) {
    if (!Object.hasOwn(command.subcommands, maybeSub) || maybeSub === '') {
      throw new CliError(`unknown ${name} command "${maybeSub}" (${words.join(', ')})`)
    }
    sub = maybeSub
  } else if (wantsHelp) {
    return { kind: 'help', text: commandUsage(name, command), exitCode: 0 }
  } else if (Object.hasOwn(command.subcommands, '')) {
    sub = ''
  } else {
    throw new CliError(`${name} needs a command: ${words.join(', ')} (dbadmin ${name} --help)`)
  }
  if (wantsHelp) return { kind: 'help', text: commandUsage(name, command, sub), exitCode: 0 }

  let rest = argv.slice(sub === '' ? 1 : 2)
  const where = `"${['dbadmin', name, sub].filter(Boolean).join(' ')}"`
  const given: string[] = []
  for (const arg of command.subcommands[sub].args ?? []) {
    const next = rest[0]
    // A relative revision such as -1 is a word; anything else starting with - is an option.
    if (next !== undefined && (!next.startsWith('-') || /^-\d+$/.test(next))) {
      given.push(next)
      rest = rest.slice(1)
    } else if (arg.required) {
      throw new CliError(`${where} needs ${arg.name} (dbadmin ${name} ${sub} --help)`)
    } else break
  }
  const flags = parseFlags(rest, command.subcommands[sub].flags, where)
  const args = { positional: [...(sub === '' ? [name] : [name, sub]), ...given], flags }
  command.subcommands[sub].check?.(args)
  return { kind: 'run', command, args }
}
