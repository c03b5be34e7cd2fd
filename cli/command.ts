import type { FlagSpec, ParsedArgs } from './args'
import type { CliContext } from './context'

/** One subcommand (`migrate up`) and the flags it accepts; nothing else gets past the parser. */
export interface Subcommand {
  flags: Record<string, FlagSpec>
  /**
   * Words it takes right after the subcommand, in order (`alembic downgrade REV`): they follow
   * ctx.args.positional's command words. `-1` is a word here, not an option.
   */
  args?: { name: string; required: boolean }[]
  /**
   * Checks of the words and flags beyond their spec (one of two flags, a number), run by the parser
   * so that a bad command line stops before any database is touched; throws a CliError.
   */
  check?: (args: ParsedArgs) => void
  /** What it does, for `dbadmin <command> --help`. */
  summary: string
}

export interface Command {
  /** Its line in `dbadmin --help`. */
  help: string
  /** Keyed by the subcommand's word; '' is the command without one (`dbadmin integrity`). */
  subcommands: Record<string, Subcommand>
  run: (ctx: CliContext) => Promise<void>
}
