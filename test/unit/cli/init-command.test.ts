import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { agentConfigFrom, outputsFromFile, regionOfQueueUrl } from '#cli/init-command.ts';

const OUTPUTS = {
  BackupBucketName: 'offsite-backupbucket-abc',
  IngestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Offsite-IngestQueue.fifo',
  AgentControlUrl: 'https://abc.lambda-url.eu-west-1.on.aws/',
};
const values = {
  server: 'mail1',
  stack: undefined,
  outputs: undefined,
  out: '/etc/offsite/agent.json',
  'zimbra-home': '/opt/zimbra',
  'state-dir': '/var/lib/offsite-agent',
  region: undefined,
  'ldap-url': undefined,
  'ldap-bind-dn': 'uid=zimbra,cn=admins,cn=zimbra',
  'ldap-password-file': undefined,
  'db-user': undefined,
  'db-password-file': undefined,
  force: false,
  json: false,
};

describe('offsite init', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-init-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads outputs as cdk deploy --outputs-file writes them, or flat', () => {
    const cdk = join(work, 'cdk.json');
    writeFileSync(cdk, JSON.stringify({ Offsite: OUTPUTS, OtherStack: { Foo: 'bar' } }));
    assert.deepEqual(outputsFromFile(cdk), OUTPUTS);
    const flat = join(work, 'flat.json');
    writeFileSync(flat, JSON.stringify(OUTPUTS));
    assert.deepEqual(outputsFromFile(flat), OUTPUTS);
    writeFileSync(flat, JSON.stringify({ A: OUTPUTS, B: OUTPUTS }));
    assert.throws(() => outputsFromFile(flat), /2 offsite stacks/);
    assert.throws(() => outputsFromFile(join(work, 'missing.json')), /cannot read the stack outputs/);
  });

  it('takes the region from an AWS queue URL', () => {
    assert.equal(regionOfQueueUrl(OUTPUTS.IngestQueueUrl), 'eu-west-1');
    assert.equal(regionOfQueueUrl('http://127.0.0.1:4566/000000000000/q.fifo'), undefined);
  });

  it('gives a configuration the agent accepts, with the agent API, LDAP and the database when asked', () => {
    const config = agentConfigFrom(
      OUTPUTS,
      {
        ...values,
        'ldap-url': 'ldap://mail1.example.com:389',
        'ldap-password-file': '/etc/offsite/ldap.password',
      },
      {},
    ) as { aws: { region: string }; control: { url: string }; ldap: { bindDn: string } };
    assert.equal(config.aws.region, 'eu-west-1');
    assert.equal(config.control.url, OUTPUTS.AgentControlUrl);
    assert.equal(config.ldap.bindDn, 'uid=zimbra,cn=admins,cn=zimbra');
  });

  it('refuses what the agent would refuse, before writing anything', () => {
    assert.throws(() => agentConfigFrom({ BackupBucketName: 'b' }, values, {}), /no IngestQueueUrl/);
    assert.throws(() => agentConfigFrom(OUTPUTS, { ...values, server: 'mail/1' }, {}), /serverId/);
    assert.throws(
      () => agentConfigFrom(OUTPUTS, { ...values, 'ldap-url': 'ldap://x' }, {}),
      /--ldap-url and --ldap-password-file go together/,
    );
  });
});
