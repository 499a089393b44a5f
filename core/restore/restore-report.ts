import type { AccountManifest, BundleManifest } from '#core/restore/bundle-manifest.ts';

/** A restore's report (`operations/<id>/report.json`): what each account got back and what it did not. */
export interface RestoreReport {
  operationId: string;
  mode: BundleManifest['mode'];
  point: BundleManifest['point'];
  accounts: {
    name: string;
    target: string;
    restored: number;
    bytes: number;
    unrestored: AccountManifest['unrestored'];
    /** Undecoded redo records before the point: the account may lack what they did. */
    uncertain: AccountManifest['uncertain'];
  }[];
  totals: { accounts: number; restored: number; bytes: number; unrestored: number };
}
