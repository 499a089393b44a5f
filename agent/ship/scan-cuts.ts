import { ShipError } from '#agent/errors.ts';
import { scanSpoolId } from '#agent/ship/spool.ts';

/** Where a scan's cut sits in the stream: a barrier until its snapshot is spooled. */
export interface ScanCut {
  id: string;
  sequence: string;
  offset: number;
}

interface CutRequest {
  mailboxId: number;
  scanId: string;
  resolve: (cut: ScanCut) => void;
}

/**
 * Scans waiting for their place in the redo stream, and the places held: the producer serves requests
 * between two events of the log; the announcer announces nothing after a held place until it is filled or
 * released.
 */
export class ScanCuts {
  private readonly requests: CutRequest[] = [];
  private readonly barriers = new Set<string>();
  private readonly changed: () => void;
  private readonly requested: () => void;

  /**
   * `changed` is called when a barrier goes, so announcements held behind it can go on; `requested` when a
   * scan asks for a cut, so the producer serves it without waiting for the log to change.
   */
  constructor(changed: () => void, requested: () => void = () => {}) {
    this.changed = changed;
    this.requested = requested;
  }

  request(mailboxId: number, scanId: string, signal?: AbortSignal): Promise<ScanCut> {
    return new Promise<ScanCut>((resolve, reject) => {
      const request = { mailboxId, scanId, resolve };
      this.requests.push(request);
      this.requested();
      signal?.addEventListener('abort', () => {
        const at = this.requests.indexOf(request);
        if (at >= 0) this.requests.splice(at, 1);
        reject(new ShipError('the scan was stopped before the redo stream was cut'));
      });
    });
  }

  get waiting(): boolean {
    return this.requests.length > 0;
  }

  /** Places a barrier for each waiting scan at `cursor`, the position everything before is spooled to. */
  serve(cursor: { sequence: string; offset: number }, now = Date.now()): void {
    for (const request of this.requests.splice(0)) {
      // The cut's time too: a mailbox scanned again at the same cut (a resumed scan) is a new entry.
      const id = scanSpoolId(cursor.sequence, cursor.offset, request.mailboxId, `${now}-${request.scanId}`);
      this.barriers.add(id);
      request.resolve({ id, sequence: cursor.sequence, offset: cursor.offset });
    }
  }

  release(cut: ScanCut): void {
    this.barriers.delete(cut.id);
    this.changed();
  }

  /** The earliest place held: entries after it wait. */
  first(): string | undefined {
    return [...this.barriers].sort()[0];
  }
}
