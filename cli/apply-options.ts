import { RESOLVE_MODES, type ResolveMode } from '#agent/restore/apply-zimbra.ts';
import { OffsiteError } from '#core/errors.ts';

// Options `restore apply` and `rebuild` share, checked the same way in both.

/** `--parallel N`: accounts applied at once, 1 to 64; undefined when not given. */
export function parallelOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parallel = Number(value);
  if (!(Number.isInteger(parallel) && parallel >= 1 && parallel <= 64))
    throw new OffsiteError(`--parallel ${value}: a whole number from 1 to 64`);
  return parallel;
}

/** `--resolve`: what Zimbra's import does with an item already there; skip by default. */
export function resolveOption(value: string | undefined): ResolveMode {
  const resolve = value ?? 'skip';
  if (!(RESOLVE_MODES as readonly string[]).includes(resolve))
    throw new OffsiteError(`--resolve ${resolve}: one of ${RESOLVE_MODES.join(', ')}`);
  return resolve as ResolveMode;
}

/** `--preauth-key-env VAR`: the domain preauth key held in that variable; undefined when not given. */
export function preauthKeyOption(variable: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (variable === undefined) return undefined;
  const key = env[variable];
  if (!key) throw new OffsiteError(`--preauth-key-env ${variable}: that variable is not set`);
  return key;
}
