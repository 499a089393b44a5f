import type { CommandSpec } from '#cli/command-spec.ts';
import { command } from '#cli/command-spec.ts';
import { TIME_HELP, TZ_OPTION } from '#cli/specs/common-options.ts';

export const REDO_DUMP_OPTIONS = {
  json: { type: 'boolean', help: 'one JSON object per record' },
  mailbox: { type: 'string', value: 'N', help: "only this mailbox's records (its numeric id)" },
  from: { type: 'string', value: 'TIME', help: 'only records at or after TIME' },
  to: { type: 'string', value: 'TIME', help: 'only records before TIME' },
  ...TZ_OPTION,
} as const;

export const REDO_GROUP: CommandSpec = {
  name: 'redo',
  summary: "read Zimbra's redo log on this host",
  commands: [
    command({
      name: 'dump',
      summary: 'list the records of a redo log file or a redolog directory, as zmredodump does',
      description: `A directory is read as its archive (by sequence) then redo.log. Exit 1 when a range did not parse.\n${TIME_HELP}`,
      args: [['<path>', 'a redo log file or a redolog directory']],
      options: REDO_DUMP_OPTIONS,
      examples: [
        'offsite redo dump /opt/zimbra/redolog --mailbox 7 --from "2026-12-05 10:00"',
        'offsite redo dump /opt/zimbra/redolog/redo.log --json | jq .op',
      ],
      run: async (input) => (await import('#cli/redo-dump.ts')).redoDumpCommand(input),
    }),
  ],
};
