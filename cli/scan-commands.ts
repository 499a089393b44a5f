import { s3 } from '#agent/clients/s3.ts';
import { sqs } from '#agent/clients/sqs.ts';
import { loadAgentConfig } from '#agent/config/agent-config.ts';
import { AgentStateError, ScanError } from '#agent/errors.ts';
import { createAgentLog } from '#agent/observability.ts';
import type { ScanReport } from '#agent/scan/run-scan.ts';
import { scanWhileShipping } from '#agent/scan/scan-while-shipping.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { lockStateDir } from '#agent/ship/state-lock.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { ProgressBar } from '#cli/progress-bar.ts';
import type { SCAN_OPTIONS } from '#cli/specs/scan-group.ts';

/** `offsite scan full|smart`: scans the server's database and blob store; returns the exit code. */
export async function scanCommand(
  command: 'full' | 'smart',
  { values, write: out }: CommandInput<typeof SCAN_OPTIONS>,
): Promise<number> {
  const named = values.account.length + values.domain.length;
  if (values.all && named > 0)
    throw new ScanError('--all scans every mailbox: leave out --account and --domain');
  if (!values.all && named === 0)
    throw new ScanError('say which mailboxes: --all, --account NAME or --domain NAME');
  const config = loadAgentConfig(values.config);
  if (!config.mailboxDb)
    throw new ScanError(
      'no "mailboxDb" section in the agent configuration: a scan reads the server\'s MariaDB (host, port, user, passwordFile)',
    );
  const lock = await lockStateDir(config.stateDir);
  if (!lock.held)
    throw new AgentStateError(
      `the agent (pid ${lock.pid}) is running on ${config.stateDir}: a scan cuts the redo stream it ships, so it runs in the process that ships; stop the agent for a one-shot scan, or create a smartscan operation (POST /operations on the control API) that the running agent claims`,
    );
  const log = createAgentLog(undefined, true);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const shipper = await Shipper.open({ config, s3: s3(config.aws), sqs: sqs(config.aws), log });
    // Shipping goes on during the scan: the scan's cuts need it, and so does the mail arriving meanwhile.
    const shipping = new AbortController();
    const running = shipper.run(AbortSignal.any([shipping.signal, controller.signal]));
    let report: ScanReport;
    try {
      let bar: ProgressBar | undefined;
      let done = 0;
      let bytes = 0;
      report = await scanWhileShipping(
        {
          config,
          shipper,
          s3: s3(config.aws),
          log,
          signal: controller.signal,
          onProgress: (p) => {
            if (values.json) return;
            bar ??= new ProgressBar(`scan ${command}`, p.mailboxesTotal);
            while (done < p.mailboxesDone) {
              done++;
              bar.tick(p.bytesRead - bytes);
              bytes = p.bytesRead;
            }
          },
        },
        {
          kind: command,
          accounts: values.account,
          domains: values.domain,
          all: values.all,
          restart: values.restart,
          verify: values.verify,
        },
      );
      bar?.finish();
    } finally {
      shipping.abort();
      await running;
    }
    out(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.problemCount > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await lock.release();
  }
}

function formatReport(r: ScanReport): string {
  const mib = (n: number) => (n / 1048576).toFixed(1);
  const lines = [
    `${r.kind} scan ${r.scanId}${r.resumed ? ' (resumed)' : ''}: ${r.mailboxes.scanned} mailboxes scanned` +
      (r.mailboxes.unchanged > 0 ? `, ${r.mailboxes.unchanged} unchanged since their last scan` : '') +
      (r.mailboxes.vanished > 0 ? `, ${r.mailboxes.vanished} deleted meanwhile` : ''),
    `items: ${r.items.messages} messages, ${r.items.contacts} contacts, ${r.items.folders} folders, ${r.items.tags} tags`,
    `blobs: ${r.blobs.uploaded} packed (${mib(r.blobs.bytesStored)} MiB stored of ${mib(r.blobs.bytesRead)} MiB read) in ${r.blobs.packs} packs, ` +
      `${r.blobs.present} already stored, ${r.blobs.skipped} shared within this scan`,
  ];
  if (r.problemCount > 0) {
    lines.push(`PROBLEMS: ${r.problemCount}`);
    for (const p of r.problems.slice(0, 20))
      lines.push(`  ${p.account} item ${p.itemId ?? '-'}: ${p.problem} (${p.detail})`);
  }
  return `${lines.join('\n')}\n`;
}
