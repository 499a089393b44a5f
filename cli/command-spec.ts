/** One option of a command, as the registry declares it to the parser and shows it in `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** The value's placeholder in the help (FILE, TIME…); VALUE when not given. */
  readonly value?: string;
  readonly default?: string | readonly string[];
  /** Repeatable (`--account a --account b`): the values in order. */
  readonly multiple?: boolean;
  /** The accepted values: anything else is a usage error that lists them. */
  readonly choices?: readonly string[];
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? S extends { default: readonly string[] }
      ? string[]
      : string[] | undefined
    : S extends { default: string }
      ? string
      : string | undefined;

/** The parsed options, keyed by their long names as declared (`dump-blob`, not `dumpBlob`). */
export type ValuesOf<O extends OptionSpecs> = { -readonly [K in keyof O]: ValueOf<O[K]> };

/** What a command's implementation is given. */
export interface CommandInput<O extends OptionSpecs = OptionSpecs> {
  values: ValuesOf<O>;
  /** The operands, in order (`<account>`, item ids…). */
  positionals: string[];
  /** Standard output (results); diagnostics go to standard error. */
  write: (text: string) => void;
  /** Standard error: progress and warnings, never results. */
  error: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * A command of the registry: its help (summary, arguments, options with defaults, examples) and what runs it.
 * A group has `commands` and may also `run` (as `offsite restore <account>` does next to its subcommands).
 * `run` loads the implementation when called, so that help and the agent's daemon load only what they use.
 */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Shown under the usage line in the command's own help. */
  readonly description?: string;
  /** Shown after the options as written (tables, lists): never re-wrapped. */
  readonly more?: string;
  /** Operands in the parser's syntax: `<file>`, `[account...]`, each with its help. */
  readonly args?: readonly (readonly [syntax: string, help: string])[];
  readonly options?: OptionSpecs;
  readonly examples?: readonly string[];
  // biome-ignore lint/suspicious/noExplicitAny: each command narrows the input to its own options.
  readonly run?: (input: CommandInput<any>) => Promise<number> | number;
  readonly commands?: readonly CommandSpec[];
}

/** `spec` with its `run` typed against its own options. */
export function command<const O extends OptionSpecs>(
  spec: Omit<CommandSpec, 'options' | 'run'> & {
    options?: O;
    run?: (input: CommandInput<O>) => Promise<number> | number;
  },
): CommandSpec {
  return spec as CommandSpec;
}

/** The options of `all` named in `names`, in that order: subcommands of a group share one catalogue. */
export function pick<O extends OptionSpecs, K extends keyof O & string>(
  all: O,
  names: readonly K[],
): Pick<O, K> {
  return Object.fromEntries(names.map((name) => [name, all[name]])) as Pick<O, K>;
}
