import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { AgentConfigError } from '#agent/errors.ts';
import { ValidationError } from '#core/errors.ts';
import { parseOrThrow } from '#core/validation.ts';

const absolutePath = z.string().refine(isAbsolute, { message: 'expected an absolute path' });

const schema = z.strictObject({
  /** Names this mail server in S3 keys and as the FIFO message group. */
  serverId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' }),
  /** The Zimbra home (`/opt/zimbra`): `redolog/` is read from here. */
  zimbraHome: absolutePath,
  /** Overrides `<zimbraHome>/redolog`. */
  redologDir: absolutePath.optional(),
  /** The agent's durable state and spool; on a disk that survives reboots. */
  stateDir: absolutePath,
  aws: z.strictObject({
    region: z.string().min(1),
    bucket: z.string().min(3).max(63),
    ingestQueueUrl: z.url(),
    /** A non-AWS endpoint (the local cloud); credentials still come from the SDK's default chain. */
    endpoint: z.url().optional(),
    /** Give up a connection attempt after this long (an endpoint that does not answer SYN). */
    connectTimeoutSeconds: z.number().positive().max(300).default(5),
    /**
     * Give up a request whose connection went silent this long (a network that blackholes: accepted, never
     * answered, half-open). The agent then retries with backoff, as after any failure.
     */
    idleTimeoutSeconds: z.number().positive().max(3600).default(30),
  }),
  /**
   * The agent API (the stack output AgentControlUrl): the running agent claims the operations dispatched to
   * its server there (the nightly smart scan), runs them and reports. Unset: none.
   */
  control: z
    .strictObject({
      url: z.url(),
      pollSeconds: z.number().min(0.05).max(3600).default(60),
      /**
       * How often the agent tells the agent API what it has shipped (when it changed; at least every five
       * minutes otherwise, as a sign of life): `offsite status` compares it with what the index applied.
       */
      reportSeconds: z.number().min(0.05).max(3600).default(10),
    })
    .optional(),
  /** Where a first start begins: the oldest archived redo file, or the live file's start. */
  startFrom: z.enum(['oldest', 'live']).default('oldest'),
  pollMs: z.number().int().min(1).max(10_000).default(200),
  segment: z
    .strictObject({
      maxMiB: z.number().positive().max(1024).default(8),
      /** No record waits longer than this before it is cut into a segment, even while a backlog is read. */
      maxAgeSeconds: z.number().positive().max(300).default(5),
      /**
       * Once caught up with the log, what was read is cut at once, but at most one segment (one PUT) per
       * this interval: a quiet host ships each commit right away, a busy one batches a second's worth.
       */
      minIntervalSeconds: z.number().min(0).max(300).default(1),
      /** Caught up mid-transaction, the cut waits this long for the commit so segments end on commits. */
      commitWaitSeconds: z.number().min(0).max(10).default(0.2),
      zstdLevel: z.number().int().min(1).max(19).default(3),
    })
    .prefault({}),
  upload: z
    .strictObject({
      concurrency: z.number().int().min(1).max(32).default(4),
      /** Objects larger than this go up in parts of `partMiB`. */
      multipartThresholdMiB: z.number().min(5).max(5120).default(16),
      partMiB: z.number().min(5).max(5120).default(8),
      /** Parts of one object in flight at once. */
      partConcurrency: z.number().int().min(1).max(16).default(4),
      /** Upload bandwidth cap in MiB/s, so shipping never starves the mail server. Unset: no cap. */
      maxMiBps: z.number().positive().optional(),
      /** Retries after failures wait longer each time, up to this. */
      maxBackoffSeconds: z.number().positive().max(3600).default(30),
      /** On a stop, shipping goes on this long so that what was read is announced, not left spooled. */
      stopGraceSeconds: z.number().min(0).max(300).default(10),
    })
    .prefault({}),
  spool: z
    .strictObject({
      /** Segments wait here while S3 or SQS is unreachable; reading the log pauses at the bound. */
      maxMiB: z.number().positive().default(2048),
      warnPercent: z.number().min(1).max(100).default(80),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Publish AgentLagSeconds/AgentLagBytes to CloudWatch (the stack alarms when they stop or grow). */
      enabled: z.boolean().default(true),
      intervalSeconds: z.number().min(1).max(3600).default(60),
    })
    .prefault({}),
  ldap: z
    .strictObject({
      url: z
        .string()
        .regex(/^ldaps?:\/\/[^\s]+$/, { message: 'expected ldap://host:port or ldaps://host:port' }),
      bindDn: z.string().min(1),
      /** A file holding the bind password (never the password itself in this file). */
      passwordFile: absolutePath,
      base: z.string().default(''),
      pageSize: z.number().int().min(1).max(10_000).default(500),
      intervalMinutes: z.number().positive().default(60),
      /**
       * An `ldap://` URL to another host must upgrade with StartTLS (the bind password and the password hashes
       * cross the network); true allows plaintext there, on a network you trust. Loopback needs neither.
       */
      insecure: z.boolean().default(false),
    })
    .optional(),
  /** The server's MariaDB (Zimbra's own is on 7306): scans read item metadata from it, read-only. */
  mailboxDb: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(1).max(65_535).default(7306),
      user: z.string().min(1),
      /** A file holding the password (never the password itself in this file). */
      passwordFile: absolutePath,
      /** `zimbra_mailbox_groups`: how many `mboxgroup…` databases the server spreads mailboxes over. */
      groups: z.number().int().min(1).max(10_000).default(100),
    })
    .optional(),
  scan: z
    .strictObject({
      /** Volume id (the `locator` column) → the volume's root; default: volume 1 at `<zimbraHome>/store`. */
      volumes: z
        .record(z.string().regex(/^\d{1,5}$/, { message: 'expected a volume id' }), absolutePath)
        .optional(),
      /** Blob bytes read per second at most, so a scan never starves the mail server. Unset: no cap. */
      maxMiBps: z.number().positive().optional(),
      /** Blobs uploaded at once. */
      concurrency: z.number().int().min(1).max(32).default(4),
      /** Mailboxes scanned at once, each in a database connection of its own. */
      mailboxConcurrency: z.number().int().min(1).max(16).default(2),
      /** A smart scan also rescans a mailbox unchanged since its last scan once that scan is this old. */
      verifyDays: z.number().positive().max(3650).default(7),
      /** A pause between two mailboxes, to give the database and disks room. */
      pauseMs: z.number().int().min(0).max(60_000).default(0),
    })
    .prefault({}),
});

export type AgentConfig = z.output<typeof schema> & { redologDir: string; volumes: Record<string, string> };

/** Validates a parsed configuration; every problem is listed with its key. */
export function parseAgentConfig(input: unknown, what = 'agent configuration'): AgentConfig {
  try {
    const parsed = parseOrThrow(schema, input, what);
    return {
      ...parsed,
      redologDir: parsed.redologDir ?? join(parsed.zimbraHome, 'redolog'),
      volumes: parsed.scan.volumes ?? { '1': join(parsed.zimbraHome, 'store') },
    };
  } catch (error) {
    if (error instanceof ValidationError) throw new AgentConfigError(error.message, { cause: error });
    throw error;
  }
}

/** Reads and validates the configuration file once at start. */
export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentConfigError(
      `cannot read the agent configuration ${path}: ${(error as Error).message}; pass --config FILE`,
      { cause: error },
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError(`${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseAgentConfig(input, `agent configuration ${path}`);
}
