import type { AccountManifest } from '#core/restore/bundle-manifest.ts';

/** What applying a bundle did to one account of a target. */
export interface ApplyAccountReport {
  account: string;
  target: string;
  folders: number;
  appended: number;
  /** Already present (a re-run, or the message was there before). */
  skipped: number;
  /** Bytes of the messages appended. */
  bytes: number;
  /** Contacts are kept in the bundle's manifest; mail-only targets cannot hold them. */
  contactsNotApplied: number;
}

export interface ApplyOptions {
  /** Only these accounts (by source or target name). */
  readonly accounts?: readonly string[];
  /** Called after each message. */
  readonly onMessage?: (bytes: number) => void;
}

export function chosen(
  options: ApplyOptions,
  account: { account: { name: string }; target: string },
): boolean {
  if (!options.accounts || options.accounts.length === 0) return true;
  const names = options.accounts.map((a) => a.toLowerCase());
  return names.includes(account.account.name) || names.includes(account.target);
}

/** A report with nothing done yet; contacts count as not applied (mail-only targets cannot hold them). */
export function emptyReport(account: AccountManifest): ApplyAccountReport {
  return {
    account: account.account.name,
    target: account.target,
    folders: 0,
    appended: 0,
    skipped: 0,
    bytes: 0,
    contactsNotApplied: account.contacts.length,
  };
}
