import type { AgentConfig } from '#agent/config/agent-config.ts';
import { LdapDumpError } from '#agent/errors.ts';
import type { DirectoryDump } from '#agent/ldap/dump-directory.ts';
import type { AgentLog } from '#agent/observability.ts';
import type { AgentState } from '#agent/ship/agent-state.ts';
import { type CompressedFile, CompressedFileWriter } from '#agent/ship/compress-to-file.ts';
import type { Spool, SpoolEntry } from '#agent/ship/spool.ts';
import { ldapDumpEntry } from '#agent/ship/spool-entries.ts';

export interface LdapScheduleDeps {
  config: AgentConfig;
  log: AgentLog;
  state: AgentState;
  spool: Spool;
  /** Called once a dump is spooled, so the uploader takes it. */
  spooled: () => void;
  /** Reads the directory (tests give their own; by default the LDAP client, loaded with the first dump). */
  dumpDirectory?: DumpDirectory;
}

export type DumpDirectory = (
  ldap: NonNullable<AgentConfig['ldap']>,
  write: (ldif: string) => Promise<void>,
) => Promise<DirectoryDump>;

/** Dumps the directory on its interval (and on request) into the spool, shipped after the redo before it. */
export class LdapSchedule {
  private readonly deps: LdapScheduleDeps;
  private requested = false;
  private wake: (() => void) | undefined;
  /** Dumps under way, from the schedule or not (an `ldap-dump` operation calls `dump` itself). */
  private readonly dumping = new Set<Promise<SpoolEntry>>();

  constructor(deps: LdapScheduleDeps) {
    this.deps = deps;
  }

  /** A dump now (SIGUSR1, `agent ldap-dump`), from a running schedule. */
  request(): void {
    this.deps.log.info('LDAP dump requested');
    this.requested = true;
    this.wake?.();
  }

  /** Ends the wait of a schedule whose signal aborted. */
  interrupt(): void {
    this.wake?.();
  }

  /** Dumps and spools the compressed LDIF. A failed bind or search throws and spools nothing. */
  dump(): Promise<SpoolEntry> {
    const dumping = this.dumpOnce();
    this.dumping.add(dumping);
    const forget = () => {
      this.dumping.delete(dumping);
    };
    dumping.then(forget, forget);
    return dumping;
  }

  /** Once every dump under way has spooled or failed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.dumping]);
  }

  private async dumpOnce(): Promise<SpoolEntry> {
    const { config, log, state, spool } = this.deps;
    if (!config.ldap)
      throw new LdapDumpError('no "ldap" section in the agent configuration: nothing to dump');
    // Compressed into the spool as the directory is read: a large directory is never held whole.
    const writer = new CompressedFileWriter(
      spool.scratch(`ldap-dump-${Date.now()}`),
      config.segment.zstdLevel,
    );
    let dump: DirectoryDump;
    let compressed: CompressedFile;
    try {
      // The LDAP client is loaded with the first dump: an agent without an `ldap` section never loads it.
      const dumpDirectory =
        this.deps.dumpDirectory ?? (await import('#agent/ldap/dump-directory.ts')).dumpDirectory;
      dump = await dumpDirectory(config.ldap, (ldif) => writer.write(Buffer.from(ldif, 'utf8')));
      compressed = await writer.finish();
    } catch (error) {
      await writer.abort();
      const message = (error as Error).message;
      log.error('LDAP dump failed; nothing shipped for it', { error: message });
      await state.update((s) => {
        s.lastLdapError = { message, at: new Date().toISOString() };
      });
      throw error;
    }
    const entry = ldapDumpEntry(config.serverId, dump, compressed);
    await spool.adopt(entry, writer.path);
    await state.update((s) => {
      s.lastLdapError = null;
    });
    log.info('LDAP dump spooled', { entries: dump.entries, bytes: compressed.size, key: entry.key });
    this.deps.spooled();
    return entry;
  }

  /** Dumps when the last dump is older than the interval, or on request; a failure is retried sooner. */
  async run(signal: AbortSignal): Promise<void> {
    const { config, state, spool } = this.deps;
    const ldap = config.ldap;
    if (!ldap) return;
    const interval = ldap.intervalMinutes * 60_000;
    let retryAt = 0;
    while (!signal.aborted) {
      const pending = spool.list().findLast((e) => e.kind === 'ldap');
      const last = pending?.spooledAt ?? state.data.ldap?.lastDumpAt;
      const due = Math.max(last ? Date.parse(last) + interval : 0, retryAt);
      if (this.requested || Date.now() >= due) {
        this.requested = false;
        try {
          await this.dump();
          retryAt = 0;
        } catch {
          retryAt = Date.now() + Math.min(interval, 5 * 60_000);
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(due - Date.now(), 60_000));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
