import { Command, CommanderError, Option } from 'commander';
import type { CommandInput, CommandSpec, OptionSpec } from '#cli/command-spec.ts';

export interface CliIo {
  write: (text: string) => void;
  error: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The terminal's width, when standard output is one (help is wrapped to it; 100 otherwise). */
  columns?: number;
}

/** Exit codes of every command: documented in `offsite --help` and the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * The parser for the registry's tree of commands. `--help` at any level prints to `io.write`; every parse
 * error (an unknown option or command, with the nearest one suggested; a value outside its choices, named
 * with them; a missing or surplus operand) is reported on `io.error` and ends with exit code 2.
 */
export function buildProgram(root: CommandSpec, io: CliIo, exit: (code: number) => void): Command {
  const program = new Command(root.name)
    .exitOverride()
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .showHelpAfterError(`(${root.name} … --help shows the usage)`)
    .configureOutput({ writeOut: io.write, writeErr: io.error })
    .configureHelp({ helpWidth: io.columns ?? 100 });
  configure(program, root, io, exit);
  return program;
}

/** Parses `argv` (without the program name) and runs the command; the exit code. */
export async function runCommandLine(root: CommandSpec, argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(root, io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return code;
}

function configure(cmd: Command, spec: CommandSpec, io: CliIo, exit: (code: number) => void): void {
  cmd.summary(spec.summary);
  cmd.description(spec.description ? `${spec.summary}\n\n${spec.description}` : spec.summary);
  for (const [syntax, help] of spec.args ?? []) cmd.argument(syntax, help);
  const options = Object.entries(spec.options ?? {});
  const declared = options.map(([name, option]) => {
    const made = optionOf(name, option);
    cmd.addOption(made);
    return [name, made.attributeName(), option] as const;
  });
  if (spec.more) cmd.addHelpText('after', `\n${spec.more}`);
  if (spec.examples?.length)
    cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  for (const sub of spec.commands ?? []) configure(cmd.command(sub.name), sub, io, exit);
  const run = spec.run;
  if (!run) return;
  cmd.action(async (...args: unknown[]) => {
    const self = args.at(-1) as Command;
    const parsed = self.opts();
    const values: Record<string, unknown> = {};
    for (const [name, attribute, option] of declared)
      values[name] =
        parsed[attribute] ??
        (option.type === 'boolean' ? false : Array.isArray(option.default) ? [...option.default] : undefined);
    exit(
      await run({
        values: values as CommandInput['values'],
        positionals: [...self.args],
        write: io.write,
        error: io.error,
        env: io.env,
      }),
    );
  });
}

function optionOf(name: string, spec: OptionSpec): Option {
  const flags = spec.type === 'boolean' ? `--${name}` : `--${name} <${spec.value ?? 'VALUE'}>`;
  const option = new Option(flags, spec.help);
  if (spec.choices) option.choices(spec.choices);
  if (spec.multiple) {
    option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  } else if (spec.default !== undefined) option.default(spec.default);
  return option;
}

/** Every command path of the tree (`['restore', 'item']`…), depth first, for help walks and completion. */
export function commandPaths(root: CommandSpec, prefix: readonly string[] = []): string[][] {
  return (root.commands ?? []).flatMap((sub) => [
    [...prefix, sub.name],
    ...commandPaths(sub, [...prefix, sub.name]),
  ]);
}
