import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { ControlClient } from '#agent/control-client.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { RestorePoints } from '#core/control-api.ts';
import type { Operation } from '#core/operation.ts';
import { LOCAL_REGION, type LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const SERVER_ID = 'demo-server';

export interface DemoResult {
  /** The demo server's restore points once everything shipped is indexed. */
  readonly restorePoints: RestorePoints;
  /** One mailbox as of an instant mid-workload, from the index, and the simulator's truth for it. */
  readonly mailbox: { account: string; at: string; indexedMessages: number; truthMessages: number };
  readonly operation: Operation;
}

/**
 * The demo path: a simulated Zimbra host writes a working day of mail to its redo log; the agent ships it; the
 * indexer (the deployed bundle, behind its real event source) indexes it; the control API then answers
 * "this mailbox as of T", checked against the simulator's truth. Last, a selftest operation fans out through
 * control API → plan queue → planner → work queue → workers and finishes.
 */
export async function runDemo(
  cloud: LocalCloud,
  log: (line: string) => void = () => undefined,
): Promise<DemoResult> {
  const bucket = required(cloud.outputs.BackupBucketName, 'BackupBucketName');
  const queueUrl = required(cloud.outputs.IngestQueueUrl, 'IngestQueueUrl');
  const control = new ControlClient({
    url: required(cloud.outputs.ControlUrl, 'ControlUrl'),
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  const work = mkdtempSync(path.join(tmpdir(), 'offsite-demo-'));
  try {
    const sim = new MailHostSimulator({
      hostDir: path.join(work, 'host'),
      seed: 1,
      accounts: 5,
      tickMaxMs: 60_000,
    });
    sim.run(400);
    sim.close();
    log(
      `simulated host: ${sim.commitTimes().length} commits over ${((sim.time() - (sim.commitTimes()[0] ?? 0)) / 3_600_000).toFixed(0)} hours, ${sim.accounts.length} accounts`,
    );
    const shipper = await Shipper.open({
      config: parseAgentConfig({
        serverId: SERVER_ID,
        zimbraHome: sim.hostDir,
        stateDir: path.join(work, 'agent-state'),
        aws: { region: LOCAL_REGION, bucket, ingestQueueUrl: queueUrl },
      }),
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    const shipped = await shipper.shipOnce();
    log(
      `agent shipped the redo log to s3://${bucket}/servers/${SERVER_ID}/ and announced it: ${JSON.stringify(shipped)}`,
    );

    const times = sim.commitTimes();
    const lastCommit = times.at(-1) as number;
    const restorePoints = await poll(
      async () => {
        const points = await control
          .request<RestorePoints>('GET', `/servers/${SERVER_ID}/restore-points`)
          .catch(() => undefined);
        const to = points?.redo.at(-1)?.to;
        return to !== undefined && Date.parse(to) >= lastCommit ? points : undefined;
      },
      // A bound for a stuck pipeline, not a speed target: moto's S3 and SQS are slow with the mailbox's
      // document revisions and calendar items in the stream.
      240_000,
      'the indexer to index every shipped segment',
    );
    for (const r of restorePoints.redo)
      log(`restore points: ${r.from} → ${r.to} (${r.segments} segments, ${r.bytes} bytes)`);

    const at = times[Math.floor(times.length / 2)] as number;
    const [mailboxId, truth] = Object.entries(sim.truthAt(at).mailboxes)[0] ?? [];
    if (!mailboxId || !truth) throw new Error('the simulated host has no mailbox mid-workload');
    const account = `${SERVER_ID}:${mailboxId}`;
    const answer = await control.request<{ folders: { messages: number; path: string }[] }>(
      'GET',
      `/mailboxes/${account}?at=${new Date(at).toISOString()}`,
    );
    const indexedMessages = answer.folders.reduce((sum, f) => sum + f.messages, 0);
    const truthMessages = Object.keys(truth.messages).length;
    log(
      `mailbox ${account} as of ${new Date(at).toISOString()}: ${indexedMessages} messages in ${answer.folders.filter((f) => f.messages > 0).length} folders (the host had ${truthMessages})`,
    );
    const operation = await selftest(control, log);
    return {
      restorePoints,
      mailbox: { account, at: new Date(at).toISOString(), indexedMessages, truthMessages },
      operation,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function selftest(control: ControlClient, log: (line: string) => void): Promise<Operation> {
  const created = await control.request<Operation>('POST', '/operations', {
    kind: 'selftest',
    params: { items: 5 },
  });
  log(`selftest operation ${created.id} queued; waiting for its 5 work items`);
  const operation = await poll(
    async () => {
      const op = await control.request<Operation>('GET', `/operations/${created.id}`);
      return op.state === 'succeeded' || op.state === 'failed' ? op : undefined;
    },
    60_000,
    'the selftest operation to finish',
  );
  log(`selftest ${operation.state}: ${operation.done}/${operation.total} work items done`);
  return operation;
}

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}; see the function logs under .local/logs`,
  );
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`the local stack has no ${what}`);
  return value;
}
