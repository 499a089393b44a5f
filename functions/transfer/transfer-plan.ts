import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import type { ExportManifest, UnexportedItem } from '#core/transfer/export-format.ts';
import type { ExportLocation } from '#core/transfer/transfer-request.ts';
import type { BlobCopy } from '#functions/transfer/transfer-bodies.ts';

/** Where an export or import keeps its plan, work items and results (in this deployment's bucket). */
export const transferObject = operationObjectKeys.transfer;

export interface ExportPlan {
  kind: 'export';
  destination: ExportLocation;
  createdAt: string;
  time: string;
  selection: ExportManifest['selection'];
  mailboxes: Pick<
    ExportManifest['mailboxes'][number],
    'index' | 'serverId' | 'mailboxId' | 'accountId' | 'accountName'
  >[];
  servers: { serverId: string; entries: number }[];
  /** Items left out at planning (no body in the backup…), by mailbox index. */
  unexportable: UnexportedItem[];
  workItems: number;
}

export interface ImportPlan {
  kind: 'import';
  source: ExportLocation;
  manifest: ExportManifest;
  workItems: number;
}

export type TransferPlan = ExportPlan | ImportPlan;

/** A work item: blobs to copy. */
export interface TransferWork {
  blobs: string[];
}

/** What a work item copied (each blob's sizes) and what it could not. */
export interface TransferResult {
  copies: BlobCopy[];
}
