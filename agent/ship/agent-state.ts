import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentStateError } from '#agent/errors.ts';
import { writeDurably } from '#agent/ship/durable-file.ts';

export interface Position {
  sequence: string;
  offset: number;
}

/** What the agent keeps across restarts (`<stateDir>/state.json`), and what `agent status` shows. */
export interface AgentStateData {
  version: 1;
  serverId: string;
  /** The next redo byte to cut into a segment (everything before it is spooled or shipped). */
  cursor: Position | null;
  /**
   * The last redo entry announced on the ingest queue (spool id: all before it were announced too), and the
   * time of the last record announced so far.
   */
  announced: (Position & { id: string; key: string; at: string; lastOpTime?: string }) | null;
  /** Rolled-over files nobody read before they were deleted. */
  gaps: { fromSequence: string; toSequence: string; detectedAt: string }[];
  lastError: { message: string; at: string } | null;
  /** The last LDAP dump announced. */
  ldap: { lastDumpAt: string; key: string; entries: number } | null;
  /** Why the last LDAP dump failed (cleared by the next good one). */
  lastLdapError: { message: string; at: string } | null;
  /** Live log size and time the follower last saw (lag = what it saw minus what was announced). */
  live: { sequence: string; offset: number; at: string } | null;
  /** Scans of the server's database, as agents before the scan ledger kept them (moved to it on the next scan). */
  scan?: ScanState;
}

export interface ScanState {
  /** The scan under way, or one interrupted: a new start with the same kind resumes it. */
  current: {
    scanId: string;
    kind: 'full' | 'smart';
    startedAt: string;
    mailboxes: number[];
    done: number[];
    /** The accounts, domains or all the scan was asked for (JSON): a resume must ask for the same. */
    selection?: string;
  } | null;
  /** Per mailbox id: its change mark when last scanned (a smart scan skips mailboxes where it is equal). */
  mailboxes: Record<
    string,
    {
      changeCheckpoint: number;
      /** Absent in a state an older agent wrote (the mailbox is then scanned once more). */
      changeMark?: string;
      modContent: number;
      scanId: string;
      at: string;
      accountId?: string;
    }
  >;
}

/** The agent's state file: read at start, every change written durably (serialized, never torn). */
export class AgentState {
  readonly path: string;
  private current: AgentStateData;
  private writing: Promise<void> = Promise.resolve();

  private constructor(path: string, data: AgentStateData) {
    this.path = path;
    this.current = data;
  }

  static async open(stateDir: string, serverId: string): Promise<AgentState> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const path = join(stateDir, 'state.json');
    let data: AgentStateData;
    try {
      data = JSON.parse(await readFile(path, 'utf8')) as AgentStateData;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AgentStateError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      data = emptyState(serverId);
    }
    if (data.version !== 1) throw new AgentStateError(`${path} has unknown version ${String(data.version)}`);
    if (data.serverId !== serverId) {
      throw new AgentStateError(
        `${path} belongs to server "${data.serverId}", not "${serverId}": use a state directory per server`,
      );
    }
    return new AgentState(path, { ...emptyState(serverId), ...data });
  }

  /** Reads the state file of another process (status), without taking it over. */
  static async peek(stateDir: string): Promise<AgentStateData | undefined> {
    try {
      return JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as AgentStateData;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentStateError(`cannot read the agent state in ${stateDir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get data(): Readonly<AgentStateData> {
    return this.current;
  }

  /** Applies `change` and writes the result durably; writes happen one at a time, in call order. */
  update(change: (state: AgentStateData) => void): Promise<void> {
    const next = structuredClone(this.current);
    change(next);
    this.current = next;
    const snapshot = JSON.stringify(next, null, 2);
    // A failed write fails its caller; the next update writes the whole state again.
    this.writing = this.writing.catch(() => undefined).then(() => writeDurably(this.path, snapshot));
    return this.writing;
  }
}

function emptyState(serverId: string): AgentStateData {
  return {
    version: 1,
    serverId,
    cursor: null,
    announced: null,
    gaps: [],
    lastError: null,
    ldap: null,
    lastLdapError: null,
    live: null,
  };
}
