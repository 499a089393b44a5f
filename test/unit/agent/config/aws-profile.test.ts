import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withProfile } from '#agent/config/aws-profile.ts';

const entries = {
  role_arn: 'arn:aws:iam::111122223333:role/mail1',
  credential_source: 'Ec2InstanceMetadata',
};

describe('an AWS profile for the agent', () => {
  it('is added to an empty or a foreign file, leaving every other line alone', () => {
    assert.equal(
      withProfile('', 'offsite', entries),
      '[profile offsite]\nrole_arn = arn:aws:iam::111122223333:role/mail1\ncredential_source = Ec2InstanceMetadata\n',
    );
    const other = '[default]\nregion = eu-west-1\n';
    assert.equal(
      withProfile(other, 'offsite', entries),
      `${other}\n[profile offsite]\nrole_arn = arn:aws:iam::111122223333:role/mail1\ncredential_source = Ec2InstanceMetadata\n`,
    );
  });

  it('replaces its own section where it is, keeping the sections after it, and is idempotent', () => {
    const before = '[profile offsite]\nrole_arn = old\nregion = x\n\n[profile other]\nregion = y\n';
    const after = withProfile(before, 'offsite', entries);
    assert.equal(
      after,
      '[profile offsite]\nrole_arn = arn:aws:iam::111122223333:role/mail1\ncredential_source = Ec2InstanceMetadata\n\n[profile other]\nregion = y\n',
    );
    assert.equal(withProfile(after, 'offsite', entries), after);
  });

  it('refuses names and values that would write other sections', () => {
    assert.throws(() => withProfile('', 'a]\n[b', entries), /not a profile name/);
    assert.throws(() => withProfile('', 'offsite', { role_arn: 'x\n[default]' }), /not a config entry/);
  });
});
