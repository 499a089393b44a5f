import { type CommandSpec, command } from '#cli/command-spec.ts';
import { BUCKET_OPTION, CONTROL_OPTIONS } from '#cli/specs/common-options.ts';

export const CONSOLE_OPTIONS = {
  port: { type: 'string', value: 'N', default: '0', help: 'the port on 127.0.0.1 (0: any free one)' },
  ...BUCKET_OPTION,
  json: { type: 'boolean', help: 'print {"url": …} as JSON once it listens' },
  url: CONTROL_OPTIONS.url,
  region: CONTROL_OPTIONS.region,
} as const;

/** `offsite console`: the browser page, served by this process on loopback. */
export const CONSOLE_COMMAND: CommandSpec = command({
  name: 'console',
  summary:
    'a web page on this machine: servers and lag, browse mailboxes as of any instant, restore, operations, holds',
  description:
    'Serves a page on 127.0.0.1 at a random port, with a one-time token in its URL. The page asks this process, which signs every request to the control API with your own AWS credentials: nothing new is exposed in the cloud, and whoever has the URL acts as you until you stop it.',
  options: CONSOLE_OPTIONS,
  examples: ['offsite console', 'offsite console --port 8765 --bucket offsite-backupbucket-abc'],
  run: async (input) => (await import('#cli/console-command.ts')).consoleCommand(input),
});
