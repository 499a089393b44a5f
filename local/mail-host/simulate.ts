// `npm run simulate -- --dir DIR [--steps N] [--seed S] [--delete-on-rollover] [--crash]
//   [--ldap-url URL --ldap-password-file F [--ldap-bind-dn DN]]`: writes a simulated Zimbra mail host
// (redolog/, store/, ldap/) to DIR and, given an LDAP server, loads the directory into it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DIRECTORY_ROOT_DN } from '#local/directory/slapd.ts';
import { syncDirectory } from '#local/directory/sync-directory.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    steps: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    accounts: { type: 'string', default: '5' },
    'delete-on-rollover': { type: 'boolean', default: false },
    crash: { type: 'boolean', default: false },
    'ldap-url': { type: 'string' },
    'ldap-bind-dn': { type: 'string', default: DIRECTORY_ROOT_DN },
    'ldap-password-file': { type: 'string' },
  },
});
if (!values.dir || (values['ldap-url'] !== undefined) !== (values['ldap-password-file'] !== undefined)) {
  process.stderr.write(
    'usage: simulate --dir DIR [--steps N] [--seed S] [--accounts N] [--delete-on-rollover] [--crash]\n' +
      '                [--ldap-url URL --ldap-password-file FILE [--ldap-bind-dn DN]]\n',
  );
  process.exit(2);
}
const sim = new MailHostSimulator({
  hostDir: values.dir,
  seed: Number(values.seed),
  accounts: Number(values.accounts),
  deleteOnRollover: values['delete-on-rollover'],
});
sim.run(Number(values.steps));
if (values.crash) sim.crash();
else sim.close();
const directory = values['ldap-url']
  ? await syncDirectory(
      {
        url: values['ldap-url'],
        bindDn: values['ldap-bind-dn'],
        password: readFileSync(values['ldap-password-file'] as string, 'utf8').trim(),
      },
      sim.directory(),
    )
  : undefined;
process.stdout.write(
  `${JSON.stringify({ dir: values.dir, serverId: sim.serverId, sequence: String(sim.redo.sequence), actions: sim.counts, directory })}\n`,
);
