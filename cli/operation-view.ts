import type { ControlClient } from '#agent/control-client.ts';
import { ProgressBar } from '#cli/progress-bar.ts';
import { OffsiteError } from '#core/errors.ts';
import { isFinished, type Operation } from '#core/operation.ts';

/** An operation id given as an operand (`what`: what the command calls it), checked before any request. */
export function operationIdArg(value: string, what = 'an operation id'): string {
  if (!/^[0-9a-f-]{36}$/.test(value)) throw new OffsiteError(`${value} is not ${what} (a UUID)`);
  return value;
}

/** Polls the operation until it finishes, drawing its progress on stderr (when it is a terminal). */
export async function waitForOperation(
  client: ControlClient,
  id: string,
  quiet: boolean,
): Promise<Operation> {
  let bar: ProgressBar | undefined;
  let shown = 0;
  for (;;) {
    const op = await client.call('operation', { operationId: id });
    if (!quiet && op.total > 0) {
      bar ??= new ProgressBar(`${op.kind} ${id.slice(0, 8)}`, op.total);
      const counted = op.done + op.failed;
      for (; shown < counted; shown++) bar.tick(0);
    }
    if (isFinished(op.state)) {
      bar?.finish();
      return op;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** An operation for people: state and counts, progress counters, the error, and what it produced. */
export function describeOperation(op: Operation): string[] {
  const lines = [
    `${op.kind} ${op.id}: ${op.state}${op.total ? ` (${op.done + op.failed}/${op.total} ${op.kind === 'smartscan' || op.kind === 'reindex' ? 'servers' : 'work items'})` : ''}` +
      `, ${op.source}${op.requestedBy ? ` by ${op.requestedBy}` : ''}, created ${op.createdAt}, updated ${op.updatedAt}`,
  ];
  if (op.progress && Object.keys(op.progress).length > 0)
    lines.push(
      `  ${Object.entries(op.progress)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (op.error) lines.push(`  ${op.error}`);
  if (typeof op.result?.bundle === 'string')
    lines.push(`  bundle ${op.result.bundle} (sha256 ${op.result.sha256})`);
  if (typeof op.result?.export === 'string')
    lines.push(
      `  export ${op.result.export} at ${op.result.time}: ${op.result.mailboxes} mailboxes, ${op.result.messages} messages, ${op.result.blobs} bodies (${op.result.storedBytes} bytes stored)${op.result.unexported ? `, ${op.result.unexported} items left out (see ${op.result.report})` : ''}`,
    );
  if (typeof op.result?.import === 'string')
    lines.push(
      `  imported ${op.result.import} (as of ${op.result.exportedAt}): ${op.result.directories} directories, ${op.result.mailboxes} mailboxes, ${op.result.messages} messages, ${op.result.blobs} bodies${op.result.unimported ? `, ${op.result.unimported} not imported (see ${op.result.report})` : ''}`,
    );
  const servers = op.result?.servers as
    | Record<string, { outcome: string; error?: string; summary?: Record<string, unknown> }>
    | undefined;
  for (const [server, report] of Object.entries(servers ?? {})) {
    lines.push(`  ${server}: ${report.outcome}${report.error ? ` (${report.error})` : ''}`);
    if (op.kind === 'reindex' && report.summary) lines.push(...reindexLines(report.summary));
  }
  return lines;
}

/** A server's reindex for people: what was taken in again, and what did not read. */
function reindexLines(s: Record<string, unknown>): string[] {
  const undecoded = Object.entries((s.undecoded ?? {}) as Record<string, number>);
  const unreadable = (s.unreadable ?? []) as { key: string; reason: string }[];
  return [
    `    ${s.segments} segments (${s.ops} ops), ${s.scansApplied} scans applied${s.scansRejected ? `, ${s.scansRejected} refused` : ''}, ${s.ldapDumps} LDAP dumps; ${s.wiped} old index items wiped, ${s.catalogRecorded} catalog entries recovered from the bucket${s.cursor ? `; indexed to ${s.cursor}` : ''}`,
    ...(undecoded.length > 0
      ? [
          `    not decoded (mailboxes uncertain until a scan): ${undecoded.map(([op, n]) => `${op} ×${n}`).join(', ')}`,
        ]
      : []),
    ...unreadable.map((u) => `    left alone: ${u.key}: ${u.reason}`),
  ];
}
