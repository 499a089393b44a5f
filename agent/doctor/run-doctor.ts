import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import type { ControlClient } from '#agent/control-client.ts';
import { agentApiCheck, clockCheck, queueCheck, s3Check } from '#agent/doctor/cloud-checks.ts';
import { databaseCheck, ldapCheck } from '#agent/doctor/directory-checks.ts';
import type { DoctorCheck } from '#agent/doctor/doctor-check.ts';
import { redoLogChecks, stateDirCheck, zimbraVersionCheck } from '#agent/doctor/host-checks.ts';

export interface DoctorDeps {
  config: AgentConfig;
  s3: S3Client;
  sqs: SQSClient;
  control: ControlClient | undefined;
}

/** Every check, in the order a host is set up; each reads only (nothing on the host or in the cloud changes). */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { config } = deps;
  const [redo, zimbra, state, clock, s3, queue, api, ldap, database] = await Promise.all([
    redoLogChecks(config),
    zimbraVersionCheck(config),
    stateDirCheck(config),
    clockCheck(config),
    s3Check(config, deps.s3),
    queueCheck(config, deps.sqs),
    agentApiCheck(config, deps.control),
    ldapCheck(config),
    databaseCheck(config),
  ]);
  return [...redo, zimbra, state, clock, s3, queue, api, ldap, database];
}
