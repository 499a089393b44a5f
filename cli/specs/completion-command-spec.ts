import type { CommandSpec } from '#cli/command-spec.ts';

/** `offsite completion`: the shell completion script, built from the command tree itself. */
export const COMPLETION_COMMAND: CommandSpec = {
  name: 'completion',
  summary: 'print the shell completion script (bash; zsh through bashcompinit)',
  examples: ['offsite completion > /etc/bash_completion.d/offsite', 'source <(offsite completion)'],
  run: async ({ write }) => {
    const [{ bashCompletion }, { OFFSITE_COMMAND }] = await Promise.all([
      import('#cli/completion-script.ts'),
      import('#cli/specs/offsite-command.ts'),
    ]);
    write(bashCompletion(OFFSITE_COMMAND));
    return 0;
  },
};
