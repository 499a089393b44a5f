import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'offsite-enroll-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function offsite(...args: string[]) {
  return spawnSync(process.execPath, ['cli/main.ts', 'agent', 'enroll', ...args], { encoding: 'utf8' });
}

describe('offsite agent enroll', () => {
  it("writes the profile that assumes the server's role from the stack output, beside the file's other profiles", () => {
    const file = join(dir, 'config');
    writeFileSync(file, '[default]\nregion = eu-west-1\n');
    const roles = JSON.stringify({ mail1: 'arn:aws:iam::111122223333:role/Offsite-Agentmail1Role-X' });
    const out = offsite('--server', 'mail1', '--roles', roles, '--aws-config', file, '--json');
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), {
      server: 'mail1',
      profile: 'offsite',
      roleArn: 'arn:aws:iam::111122223333:role/Offsite-Agentmail1Role-X',
      file,
    });
    assert.equal(
      readFileSync(file, 'utf8'),
      '[default]\nregion = eu-west-1\n\n[profile offsite]\nrole_arn = arn:aws:iam::111122223333:role/Offsite-Agentmail1Role-X\ncredential_source = Ec2InstanceMetadata\nrole_session_name = mail1\n',
    );
  });

  it('refuses a server the stack gives no role, and a role that is no ARN, saying what to do', () => {
    const file = join(dir, 'refused');
    const unknown = offsite(
      '--server',
      'mail9',
      '--roles',
      '{"mail1":"arn:aws:iam::111122223333:role/r"}',
      '--aws-config',
      file,
    );
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no role to server mail9: add it to the stack configuration's servers/);
    const bad = offsite('--server', 'mail1', '--role-arn', 'mail1-role', '--aws-config', file);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /needs --role-arn ARN \(an IAM role ARN\)/);
  });
});
