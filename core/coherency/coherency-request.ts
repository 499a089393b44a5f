import { z } from 'zod';

const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });

/** Parameters of a coherency check (the monthly schedule runs it with none). */
export const coherencyParamsSchema = z.strictObject({
  /** Read every object and check its digest; otherwise sizes and recorded digests only. */
  readData: z.boolean().default(false),
  /** Move damaged and orphaned objects to `quarantine/<operation>/…` (and record it). */
  fix: z.boolean().default(false),
  servers: z.array(serverId).min(1).optional(),
  /** An object no one refers to is an orphan only once it is this old (an upload waits for its announcement). */
  orphanGraceHours: z
    .number()
    .min(0)
    .max(24 * 365)
    .default(24),
});
export type CoherencyParams = z.output<typeof coherencyParamsSchema>;

/** One share of a check: a server's catalogued objects, the blobs under a key prefix, or a slice of references. */
export type CoherencyItem =
  | { kind: 'server'; serverId: string }
  | { kind: 'blob-objects'; prefix: string }
  | { kind: 'blob-references'; segment: number; segments: number };

export interface CoherencyPlan {
  operationId: string;
  params: CoherencyParams;
  /** The instant orphans are judged against (the operation's creation). */
  at: number;
  items: CoherencyItem[];
}

export interface Finding {
  problem: 'missing' | 'corrupt' | 'size-mismatch' | 'orphan';
  key: string;
  detail: string;
  /** Where a fix moved it. */
  quarantinedAs?: string;
}

/** What the index keeps of an object a coherency check moved to quarantine. */
export interface QuarantineRecord {
  /** Where the object was (and where the catalog or an item still expects it). */
  key: string;
  quarantinedAs: string;
  operationId: string;
  problem: Finding['problem'];
  detail: string;
  at: string;
}

/** Sixteen shares for the blob store (first hex digit of the digest) and sixteen for the references. */
export function coherencyItems(servers: readonly string[]): CoherencyItem[] {
  const hex = '0123456789abcdef'.split('');
  return [
    ...servers.map((serverId): CoherencyItem => ({ kind: 'server', serverId })),
    ...hex.map((prefix): CoherencyItem => ({ kind: 'blob-objects', prefix })),
    ...hex.map((_, segment): CoherencyItem => ({ kind: 'blob-references', segment, segments: hex.length })),
  ];
}
