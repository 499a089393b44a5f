import { BundleIntegrityError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import type { AccountManifest, BundleMessage } from '#core/restore/bundle-manifest.ts';

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
  /** Items written per kind, for targets that take every kind (a Zimbra archive). */
  items?: Record<string, number>;
  /** Items the target cannot take (a kind its import does not read), with why. */
  notApplied?: { kind: string; id: number; reason: string }[];
  /** Items left out because their body failed its check against the bundle: a finding. */
  failed: { kind: string; id: number; reason: string }[];
}

export interface ApplyOptions {
  /** Only these accounts (by source or target name). */
  readonly accounts?: readonly string[];
  /** Called after each message. */
  readonly onMessage?: (bytes: number) => void;
  /** Accounts applied at once, for targets that take several connections (IMAP). */
  readonly parallel?: number;
}

/** The accounts an apply writes, with their index in the bundle: all, or those named by source or target. */
export function selectedAccounts(
  accounts: readonly AccountManifest[],
  names: readonly string[] = [],
): [index: number, account: AccountManifest][] {
  const wanted = names.map((n) => n.toLowerCase());
  return [...accounts.entries()].filter(
    ([, a]) => wanted.length === 0 || wanted.includes(a.account.name) || wanted.includes(a.target),
  );
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
    failed: [],
  };
}

/**
 * An item's bytes as `read` gets them from the bundle, checked; undefined when they fail the check, which is
 * recorded in the report: that item is left out, the rest of the account goes on.
 */
export async function checkedBody(
  report: ApplyAccountReport,
  kind: string,
  id: number,
  read: () => Promise<Buffer>,
): Promise<Buffer | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof BundleIntegrityError)) throw error;
    report.failed.push({ kind, id, reason: error.message });
    return undefined;
  }
}

/** A message's bytes, checked (`checkedBody`). */
export function checkedMessage(
  bundle: OpenBundle,
  index: number,
  message: BundleMessage,
  report: ApplyAccountReport,
): Promise<Buffer | undefined> {
  return checkedBody(report, 'message', message.id, () => bundle.message(index, message));
}
