import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import mariadb, { type Connection } from 'mariadb';
import { control } from '#agent/clients/control.ts';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ScanError } from '#agent/errors.ts';
import type { AgentLog } from '#agent/observability.ts';
import { runScan, type ScanProgress, type ScanReport, type ScanRequest } from '#agent/scan/run-scan.ts';
import type { Shipper } from '#agent/ship/shipper.ts';

export interface ScanSessionDeps {
  config: AgentConfig;
  /** A shipper whose `run` is going on: it serves the scan's cuts and announces its snapshots. */
  shipper: Shipper;
  s3: S3Client;
  log: AgentLog;
  signal: AbortSignal;
  onProgress?: (progress: ScanProgress) => void;
}

/**
 * One scan in a shipping agent, from logging in to the mailbox database to the last snapshot announced (the
 * redo before each is announced first), so a finished scan is one the indexer can apply.
 */
export async function scanWhileShipping(deps: ScanSessionDeps, request: ScanRequest): Promise<ScanReport> {
  const { config, shipper, signal } = deps;
  const db = await connectMailboxDb(config);
  try {
    const api = control(config);
    const report = await runScan(
      {
        config,
        shipper,
        s3: deps.s3,
        db,
        connect: () => connectMailboxDb(config),
        log: deps.log,
        signal,
        ...(api
          ? {
              knownBlobs: async (sha256: string[]) =>
                (await api.call('knownBlobs', { serverId: config.serverId }, { body: { sha256 } })).known,
            }
          : {}),
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
      },
      request,
    );
    // Until its snapshots and packs are announced (a late blob's pack comes after its snapshot). The spool
    // is in memory: looking often costs nothing, where a poll's 200 ms would be added to every scan.
    while (shipper.spool.list().some((e) => e.kind === 'scan' || e.kind === 'pack') && !signal.aborted)
      await sleep(Math.min(config.pollMs, 20));
    return report;
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** Logs in to the server's MariaDB with the scan's read-only user. */
export async function connectMailboxDb(config: AgentConfig): Promise<Connection> {
  const database = config.mailboxDb;
  if (!database)
    throw new ScanError(
      'no "mailboxDb" section in the agent configuration: a scan reads the server\'s MariaDB (host, port, user, passwordFile)',
    );
  let password: string;
  try {
    password = readFileSync(database.passwordFile, 'utf8').trim();
  } catch (error) {
    throw new ScanError(
      `cannot read mailboxDb.passwordFile ${database.passwordFile}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return await mariadb.createConnection({
      host: database.host,
      port: database.port,
      user: database.user,
      password,
      connectTimeout: 10_000,
    });
  } catch (error) {
    throw new ScanError(
      `cannot log in to the mailbox database ${database.user}@${database.host}:${database.port} for server ${config.serverId}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
