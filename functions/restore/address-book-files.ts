import { vcardOf } from '#core/contacts/vcard-of.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import { type AccountManifest, accountDir, addressBookFile } from '#core/restore/bundle-manifest.ts';
import { operationObject, putBytes } from '#functions/restore/operation-objects.ts';

/**
 * Writes one vCard file per folder of the account's contacts into the bundle (what an address book or a
 * CardDAV server imports); the manifest keeps every field as the server had it as well.
 */
export async function writeAddressBooks(
  bucket: string,
  operationId: string,
  index: number,
  accountId: string,
  contacts: MailboxState['contacts'],
): Promise<AccountManifest['addressBooks']> {
  const files: AccountManifest['addressBooks'] = [];
  const byFolder = Map.groupBy(Object.entries(contacts), ([, c]) => c.folderId);
  for (const [folderId, inFolder] of byFolder) {
    const { text, cards } = vcardOf(
      inFolder
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([id, c]) => ({ id: Number(id), uid: `${accountId}:${id}`, fields: c.fields })),
    );
    const file = addressBookFile(folderId);
    const sha256 = await putBytes(
      bucket,
      operationObject.bundle(operationId, `${accountDir(index)}/${file}`),
      Buffer.from(text),
      'text/vcard',
    );
    files.push({ folderId, file, sha256, cards });
  }
  return files.sort((a, b) => a.folderId - b.folderId);
}
