import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PersonRole } from '#core/access/control-permissions.ts';
import { BUCKET } from '#core/storage/bucket-layout.ts';
import {
  acknowledgePrefixGrant,
  bucketStatements,
  functionUrlInvokeStatements,
} from '#infra/constructs/permissions.ts';

/** What each person role may read in the bucket besides calling the control API. */
const READS: Readonly<Record<PersonRole, readonly string[]>> = {
  // Restore bundles (operations/), message bodies (`item --dump-blob`), exports.
  operator: [BUCKET.operations, BUCKET.blobs, BUCKET.packs, BUCKET.exports],
  'help-desk': [BUCKET.operations, BUCKET.blobs, BUCKET.packs],
  compliance: [BUCKET.operations, BUCKET.exports],
};

const NAMES: Readonly<Record<PersonRole, string>> = {
  operator: 'Operator',
  'help-desk': 'HelpDesk',
  compliance: 'Compliance',
};

/**
 * The roles people assume to use the CLI: each may call the control API (which checks the role against what
 * is asked, see core/access/control-permissions.ts) and read what its commands download.
 */
export class PersonRoles extends Construct {
  readonly roles: Readonly<Record<PersonRole, iam.Role>>;

  constructor(
    scope: Construct,
    id: string,
    targets: { bucket: s3.IBucket; controlApiArn: string },
    assumedBy: iam.IPrincipal,
  ) {
    super(scope, id);
    const role = (person: PersonRole) => {
      const r = new iam.Role(this, NAMES[person], {
        assumedBy,
        description: `offsite ${person}: the control API as a ${person} may use it`,
        maxSessionDuration: Duration.hours(12),
      });
      for (const statement of functionUrlInvokeStatements(targets.controlApiArn)) r.addToPolicy(statement);
      for (const prefix of READS[person]) {
        for (const statement of bucketStatements(targets.bucket, prefix, false)) r.addToPolicy(statement);
        acknowledgePrefixGrant(r, targets.bucket, prefix);
      }
      return r;
    };
    this.roles = {
      operator: role('operator'),
      'help-desk': role('help-desk'),
      compliance: role('compliance'),
    };
  }
}
