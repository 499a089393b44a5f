import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ControlApiError, type ControlClient } from '#agent/control-client.ts';
import type { AgentLog } from '#agent/observability.ts';
import type { ScanReport } from '#agent/scan/run-scan.ts';
import type { Shipper } from '#agent/ship/shipper.ts';
import { agentParamsSchemas, type Dispatch, type DispatchReport, isFinished } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';

export interface DispatchDeps {
  config: AgentConfig;
  control: ControlClient;
  /** The daemon's shipper (its `run` is going on). */
  shipper: Shipper;
  s3: S3Client;
  log: AgentLog;
}

/**
 * The daemon's share of agent operations: every `control.pollSeconds` it lists what is dispatched to its
 * server, claims each in turn, runs it and reports. One at a time (a scan holds the stream's cuts). An
 * operation stopped by an operator stops here at the next look; an agent stopped mid-way reports nothing and
 * resumes the claimed operation when it starts again (a scan goes on where it was). The kinds: `smartscan`
 * and `ldap-dump`.
 */
export async function runDispatches(deps: DispatchDeps, signal: AbortSignal): Promise<void> {
  const { config, control, log } = deps;
  const pollMs = (config.control?.pollSeconds ?? 60) * 1000;
  const serverId = config.serverId;
  let warned = false;
  while (!signal.aborted) {
    try {
      const { dispatches } = await control.call('dispatches', { serverId });
      warned = false;
      for (const dispatch of dispatches) {
        if (signal.aborted) break;
        await runDispatch(deps, serverId, dispatch, pollMs, signal);
      }
    } catch (error) {
      // The control API being away must not stop shipping: say it once, then keep trying.
      if (!warned) log.warn('cannot look for dispatched operations; trying again', { error: String(error) });
      warned = true;
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
}

async function runDispatch(
  deps: DispatchDeps,
  serverId: string,
  dispatch: Dispatch,
  pollMs: number,
  signal: AbortSignal,
): Promise<void> {
  const { control, log } = deps;
  const id = dispatch.operationId;
  try {
    await control.call('claimDispatch', { serverId, operationId: id });
  } catch (error) {
    // Stopped meanwhile (409), reported already (404), or not planned yet (409): nothing to run now.
    if (error instanceof ControlApiError && (error.status === 409 || error.status === 404)) {
      log.info('dispatched operation not run', { operationId: id, reason: error.message });
      return;
    }
    throw error;
  }
  log.info('running a dispatched operation', {
    operationId: id,
    kind: dispatch.kind,
    params: dispatch.params,
  });
  const own = new AbortController();
  const watching = watchOperation(control, serverId, id, pollMs, AbortSignal.any([signal, own.signal]), () =>
    own.abort(),
  );
  let report: DispatchReport;
  try {
    report = await execute(deps, dispatch, AbortSignal.any([signal, own.signal]));
  } catch (error) {
    if (signal.aborted) return; // the agent is stopping: resumed after restart
    report = { outcome: 'failed', error: (error as Error).message, progress: {}, summary: {} };
  } finally {
    own.abort();
    await watching;
  }
  if (signal.aborted) return;
  await control.call('reportDispatch', { serverId, operationId: id }, { body: report });
  log.info('reported a dispatched operation', {
    operationId: id,
    outcome: report.outcome,
    error: report.error,
  });
}

/**
 * Aborts the run when an operator stops the operation (looked at every poll). Each look claims the share
 * again, which tells the control API the agent is alive: a share nobody works on for the stall limit ends
 * its operation as failed.
 */
async function watchOperation(
  control: ControlClient,
  serverId: string,
  id: string,
  pollMs: number,
  signal: AbortSignal,
  stop: () => void,
): Promise<void> {
  while (!signal.aborted) {
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    await control.call('claimDispatch', { serverId, operationId: id }).catch(() => undefined);
    const op = await control.call('dispatch', { serverId, operationId: id }).catch(() => undefined);
    if (op && isFinished(op.state)) {
      stop();
      return;
    }
  }
}

async function execute(deps: DispatchDeps, dispatch: Dispatch, signal: AbortSignal): Promise<DispatchReport> {
  switch (dispatch.kind) {
    case 'smartscan':
      return smartScan(deps, dispatch, signal);
    case 'ldap-dump':
      return ldapDump(deps, dispatch);
  }
}

/**
 * Dumps the directory now into the spool, where the daemon ships it after the redo before it. Reported done
 * once spooled (durable on this host): the dump's key and entries are in the summary.
 */
async function ldapDump(deps: DispatchDeps, dispatch: Dispatch): Promise<DispatchReport> {
  parseOrThrow(agentParamsSchemas['ldap-dump'], dispatch.params, `ldap-dump ${dispatch.operationId}`);
  const entry = await deps.shipper.dumpLdap();
  return {
    outcome: 'done',
    progress: { entries: entry.entries ?? 0, bytes: entry.size },
    summary: { key: entry.key, entries: entry.entries ?? 0, bytes: entry.size, dumpedAt: entry.spooledAt },
  };
}

async function smartScan(
  deps: DispatchDeps,
  dispatch: Dispatch,
  signal: AbortSignal,
): Promise<DispatchReport> {
  const params = parseOrThrow(
    agentParamsSchemas.smartscan,
    dispatch.params,
    `smartscan ${dispatch.operationId}`,
  );
  // Loaded on demand, as the CLI does: the database driver is only needed when a scan runs.
  const { scanWhileShipping } = await import('#agent/scan/scan-while-shipping.ts');
  const named = params.accounts.length + params.domains.length > 0;
  const report: ScanReport = await scanWhileShipping(
    { config: deps.config, shipper: deps.shipper, s3: deps.s3, log: deps.log, signal },
    {
      kind: 'smart',
      accounts: params.accounts,
      domains: params.domains,
      all: !named,
      verify: params.verify,
      ...(params.indexed ? { indexed: params.indexed } : {}),
    },
  );
  if (signal.aborted) throw new Error('stopped');
  const summary = {
    scanId: report.scanId,
    resumed: report.resumed,
    mailboxes: report.mailboxes,
    items: report.items,
    blobs: report.blobs,
    problemCount: report.problemCount,
    problems: report.problems.slice(0, 20),
  };
  const progress = {
    mailboxes: report.mailboxes.scanned,
    messages: report.items.messages,
    blobsUploaded: report.blobs.uploaded,
    bytesRead: report.blobs.bytesRead,
  };
  return report.problemCount > 0
    ? {
        outcome: 'failed',
        error: `scan ${report.scanId} found ${report.problemCount} problems (first: ${report.problems[0]?.account} item ${report.problems[0]?.itemId ?? '-'}: ${report.problems[0]?.problem}); see its summary`,
        progress,
        summary,
      }
    : { outcome: 'done', progress, summary };
}
