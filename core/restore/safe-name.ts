// Names that come out of a restore bundle become folder names, IMAP mailbox names and paths on disk. A
// bundle is read from a bucket, so every name is checked before it is used: nothing may climb out of a
// target directory, hide a NUL, or exceed what a mail server accepts.

/** Zimbra's limit for an item name (MailItem.MAX_NAME_LENGTH). */
export const MAX_NAME_LENGTH = 255;

/** Why `name` cannot be a folder name (one path component), or undefined if it can. */
export function folderNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (name.includes('\0')) return 'contains a NUL character';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is rejected
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (name.trim() !== name) return 'starts or ends with white space';
  return undefined;
}

const ACCOUNT = /^[A-Za-z0-9._+=-]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** Why `name` cannot be an account name (user@domain, also a directory name on disk), or undefined. */
export function accountNameProblem(name: string): string | undefined {
  if (!ACCOUNT.test(name)) return 'is not an address of letters, digits and ._+=- (user@domain)';
  if (name.startsWith('.') || name.includes('..')) return 'contains ".." or starts with "."';
  return undefined;
}
