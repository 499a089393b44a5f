import { type CommandSpec, command } from '#cli/command-spec.ts';
import { BUCKET_OPTION, CONTROL_OPTIONS, TIME_HELP, TZ_OPTION } from '#cli/specs/common-options.ts';

export const REBUILD_OPTIONS = {
  server: { type: 'string', value: 'ID', help: 'the lost server' },
  at: { type: 'string', value: 'TIME', help: 'as it was at TIME' },
  ldap: { type: 'string', value: 'ldap[s]://HOST[:PORT]', help: 'the new directory server' },
  mail: { type: 'string', value: 'imap[s]://HOST[:PORT]', help: 'the new mail server (IMAP)' },
  calendar: { type: 'string', value: 'caldav://HOST/PATH', help: 'the new calendar server (with --mail)' },
  contacts: {
    type: 'string',
    value: 'carddav://HOST/PATH',
    help: 'the new address book server (with --mail)',
  },
  zimbra: {
    type: 'string',
    value: 'zimbra://ADMIN@HOST[:PORT]',
    help: "a new Zimbra server: every item kind through Zimbra's own import (instead of --mail)",
  },
  resolve: {
    type: 'string',
    value: 'MODE',
    choices: ['skip', 'modify', 'replace', 'reset'],
    help: 'Zimbra: what its import does with items that exist (default: skip)',
  },
  'preauth-key-env': {
    type: 'string',
    value: 'VAR',
    help: "Zimbra: the domain's preauth key, in this variable",
  },
  'bind-dn': { type: 'string', value: 'DN', help: 'LDAP bind DN (default: uid=zimbra,cn=admins,cn=zimbra)' },
  'admin-user': {
    type: 'string',
    value: 'USER',
    help: 'IMAP: the one credential that acts for every account',
  },
  'dav-user': { type: 'string', value: 'USER', help: 'CalDAV/CardDAV: the user to log in as' },
  'mail-host': { type: 'string', value: 'HOST', help: "rewrite the accounts' zimbraMailHost" },
  parallel: { type: 'string', value: 'N', help: 'accounts at once (default: 4)' },
  'with-secrets': { type: 'boolean', help: 'password hashes too (operators only)' },
  state: {
    type: 'string',
    value: 'FILE',
    help: 'where progress is kept: run again with the same FILE to go on after a crash or Ctrl-C',
  },
  insecure: { type: 'boolean', help: 'allow plaintext sessions on a network you trust' },
  ...TZ_OPTION,
  ...CONTROL_OPTIONS,
  ...BUCKET_OPTION,
} as const;

/** `offsite rebuild`: one command from a lost server to new ones. */
export const REBUILD_COMMAND: CommandSpec = command({
  name: 'rebuild',
  summary: 'rebuild a lost server onto new ones as it was at a time: directory, then every account',
  description: `Mail over IMAP (as --admin-user, SASL PLAIN for each account), calendars and address books over DAV; or, onto a new Zimbra server, every item kind through Zimbra's own import (--zimbra). Passwords from OFFSITE_LDAP_PASSWORD, OFFSITE_IMAP_PASSWORD, OFFSITE_DAV_PASSWORD, OFFSITE_ZIMBRA_PASSWORD. Run it again (the same --state) to go on after a crash or Ctrl-C: the restores are reused and what is on the targets already is not added again.\n${TIME_HELP}`,
  options: REBUILD_OPTIONS,
  examples: [
    'offsite rebuild --server mail1 --at "2026-12-05 10:15" --ldap ldaps://ldap2.example.com --mail imaps://mail2.example.com --admin-user admin --state rebuild-mail1.json',
    'offsite rebuild --server mail1 --at 2026-12-05T09:00:00Z --ldap ldap://zimbra2:389 --zimbra zimbra://admin@zimbra2:7071 --insecure',
  ],
  run: async (input) => (await import('#cli/rebuild-command.ts')).rebuildCommand(input),
});
