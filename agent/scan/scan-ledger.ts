import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentStateError } from '#agent/errors.ts';
import type { AgentState, ScanState } from '#agent/ship/agent-state.ts';
import { appendDurably, writeDurably } from '#agent/ship/durable-file.ts';

/** What a scan keeps of a mailbox it scanned (its change mark, its highest blob revision, when). */
export type MailboxMark = ScanState['mailboxes'][string];

/** One line of the journal: a mailbox of scan `scanId` done, with its mark (none: the mailbox is gone). */
interface JournalLine {
  scanId: string;
  done: number;
  mark?: MailboxMark;
}

const SNAPSHOT = 'scans.json';
const JOURNAL = 'scans.journal';
/** The journal is folded into the snapshot after this many lines (and at each scan's start and end). */
const FOLD_AFTER = 1000;

function emptyScanState(): ScanState {
  return { current: null, mailboxes: {} };
}

/**
 * The scans' own state (`<stateDir>/scans.json` and `scans.journal`): the scan under way and each mailbox's
 * mark. A mailbox done is one line appended to the journal, so a scan of n mailboxes writes O(n), not the
 * whole state per mailbox, and the shipping state (`state.json`, written per segment) does not grow with the
 * server's mailboxes: at 10,000 mailboxes each of its writes cost 25 ms with the marks in it.
 */
export class ScanLedger {
  private readonly dir: string;
  private current: ScanState;
  private lines: number;
  private writing: Promise<void> = Promise.resolve();

  private constructor(dir: string, state: ScanState, lines: number) {
    this.dir = dir;
    this.current = state;
    this.lines = lines;
  }

  /**
   * Opens the ledger in `stateDir`; the marks an older agent kept in `state.json` move here (and leave it) on
   * the first open.
   */
  static async open(stateDir: string, state: AgentState): Promise<ScanLedger> {
    const read = await readLedger(stateDir);
    const legacy = state.data.scan;
    if (read.found || !legacy) return new ScanLedger(stateDir, read.state, read.lines);
    const ledger = new ScanLedger(stateDir, structuredClone(legacy), 0);
    await ledger.fold();
    await state.update((s) => {
      delete s.scan;
    });
    return ledger;
  }

  /** Reads the ledger of another process (status, tests), without taking it over. */
  static async peek(stateDir: string): Promise<ScanState> {
    return (await readLedger(stateDir)).state;
  }

  get data(): Readonly<ScanState> {
    return this.current;
  }

  /** A scan starts (or resumes): written with the snapshot, the journal emptied. */
  start(current: NonNullable<ScanState['current']>): Promise<void> {
    this.current.current = current;
    return this.fold();
  }

  /** A mailbox of the scan under way is done: `mark`, or none when the server no longer has it. */
  mailboxDone(mailboxId: number, mark: MailboxMark | undefined): Promise<void> {
    const scan = this.current.current;
    if (!scan) return Promise.resolve();
    const line: JournalLine = { scanId: scan.scanId, done: mailboxId, ...(mark ? { mark } : {}) };
    apply(this.current, line);
    if (++this.lines >= FOLD_AFTER) return this.fold();
    const text = `${JSON.stringify(line)}\n`;
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => appendDurably(join(this.dir, JOURNAL), text));
    return this.writing;
  }

  /** The scan under way is over. */
  finish(): Promise<void> {
    this.current.current = null;
    return this.fold();
  }

  /** Writes the whole state as the snapshot, then empties the journal (a line replayed twice changes nothing). */
  private fold(): Promise<void> {
    const snapshot = JSON.stringify(this.current);
    this.lines = 0;
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await writeDurably(join(this.dir, SNAPSHOT), snapshot);
        await rm(join(this.dir, JOURNAL), { force: true });
      });
    return this.writing;
  }
}

function apply(state: ScanState, line: JournalLine): void {
  const mailbox = String(line.done);
  if (line.mark) state.mailboxes[mailbox] = line.mark;
  else delete state.mailboxes[mailbox];
  // A line of an earlier scan (the journal outlived a crash during a fold) moves marks, never this scan.
  const scan = state.current;
  if (scan?.scanId === line.scanId && !scan.done.includes(line.done)) scan.done.push(line.done);
}

async function readLedger(dir: string): Promise<{ state: ScanState; lines: number; found: boolean }> {
  const text = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentStateError(`cannot read ${join(dir, name)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const snapshot = await text(SNAPSHOT);
  let state = emptyScanState();
  if (snapshot !== undefined) {
    try {
      state = { ...emptyScanState(), ...(JSON.parse(snapshot) as ScanState) };
    } catch (error) {
      throw new AgentStateError(
        `${join(dir, SNAPSHOT)} does not parse (${(error as Error).message}): remove it and ${JOURNAL} to drop the scans' marks (the next smart scan then scans every mailbox)`,
        { cause: error },
      );
    }
  }
  const journal = (await text(JOURNAL)) ?? '';
  const lines = journal.split('\n');
  let applied = 0;
  for (const [i, raw] of lines.entries()) {
    if (raw === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch (error) {
      // Only the last line can be torn (a crash while it was appended): that mailbox is scanned again.
      if (i === lines.length - 1) break;
      throw new AgentStateError(
        `${join(dir, JOURNAL)} line ${i + 1} does not parse (${(error as Error).message}): remove the file to scan the interrupted scan's mailboxes again`,
        { cause: error },
      );
    }
    apply(state, line);
    applied++;
  }
  return { state, lines: applied, found: snapshot !== undefined || journal !== '' };
}
