export interface DirectoryAccount {
  zimbraId: string;
  name: string;
  deleted: boolean;
}

/** Domains and accounts as LDIF (a minimal Zimbra-like tree), in a stable order. */
export function accountsLdif(accounts: readonly DirectoryAccount[]): string {
  const live = accounts.filter((a) => !a.deleted);
  const domains = [...new Set(live.map((a) => a.name.split('@')[1] as string))].sort();
  const entries: string[] = [];
  for (const domain of domains) {
    const dc = domain
      .split('.')
      .map((p) => `dc=${p}`)
      .join(',');
    entries.push(
      `dn: ${dc}\nobjectClass: dcObject\nobjectClass: organization\no: ${domain}\ndc: ${domain.split('.')[0]}`,
    );
    entries.push(`dn: ou=people,${dc}\nobjectClass: organizationalUnit\nou: people`);
  }
  for (const a of [...live].sort((x, y) => x.name.localeCompare(y.name))) {
    const [uid, domain] = a.name.split('@') as [string, string];
    const dc = domain
      .split('.')
      .map((p) => `dc=${p}`)
      .join(',');
    entries.push(
      `dn: uid=${uid},ou=people,${dc}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nmail: ${a.name}\nemployeeNumber: ${a.zimbraId}`,
    );
  }
  return `${entries.join('\n\n')}\n`;
}
