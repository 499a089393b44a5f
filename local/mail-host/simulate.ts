// `npm run simulate -- --dir DIR [--steps N] [--seed S] [--delete-on-rollover] [--crash]`: writes a
// simulated Zimbra mail host (redolog/, store/, ldap/) to DIR.
import { parseArgs } from 'node:util';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    steps: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    accounts: { type: 'string', default: '5' },
    'delete-on-rollover': { type: 'boolean', default: false },
    crash: { type: 'boolean', default: false },
  },
});
if (!values.dir) {
  process.stderr.write(
    'usage: simulate --dir DIR [--steps N] [--seed S] [--accounts N] [--delete-on-rollover] [--crash]\n',
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
process.stdout.write(
  `${JSON.stringify({ dir: values.dir, serverId: sim.serverId, sequence: String(sim.redo.sequence), actions: sim.counts })}\n`,
);
