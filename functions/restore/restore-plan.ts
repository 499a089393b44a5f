import type { AccountManifest, BundleManifest } from '#core/restore/bundle-manifest.ts';

// What the planner leaves for the workers and the finalizer under `operations/<id>/`.

export interface RestoreSummary {
  operationId: string;
  mode: BundleManifest['mode'];
  createdAt: string;
  point: BundleManifest['point'];
  accounts: { index: number; name: string; target: string; chunks: number }[];
  directory?: NonNullable<BundleManifest['directory']>;
  workItems: number;
}

/** An account's manifest as planned: every message the restore wants; the finalizer removes the failures. */
export type AccountPlan = AccountManifest;

export interface WorkFile {
  /** Index of the account in the summary; -1: nothing to copy (the item only lets the operation finish). */
  account: number;
  /** Messages (`messages/<id>.eml`) and document revisions (their `file`) to copy from the blob store. */
  /** `digest`: the mail server's own digest of a message's blob, which a drill checks the copy against. */
  messages: { id: number; sha256: string; size: number; file?: string; digest?: string }[];
}

export interface WorkResult {
  account: number;
  restored: number;
  bytes: number;
  unrestored: AccountManifest['unrestored'];
}
