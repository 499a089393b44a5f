import { createHash } from 'node:crypto';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';

export interface DirectoryAccount {
  zimbraId: string;
  name: string;
  deleted: boolean;
  createdAt: number;
  cosId: string;
  aliases: { name: string; zimbraId: string }[];
}

export interface DirectoryDomain {
  name: string;
  zimbraId: string;
  /** The domain's `all@` distribution list (every live account of the domain). */
  listId: string;
  createdAt: number;
}

export interface DirectoryModel {
  mailHost: string;
  cos: { name: string; zimbraId: string; createdAt: number };
  domains: readonly DirectoryDomain[];
  accounts: readonly DirectoryAccount[];
}

/**
 * The directory a Zimbra server would hold for the model, in Zimbra's tree shape: `cn=zimbra` with the
 * classes of service, one `dc=` tree per domain with accounts, aliases and lists under `ou=people`.
 * Parents come before children; the order is stable, so equal models give equal LDIF.
 */
export function directoryEntries(model: DirectoryModel): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [
    { dn: 'cn=zimbra', attributes: { objectClass: ['organizationalRole'], cn: ['zimbra'] } },
    { dn: 'cn=cos,cn=zimbra', attributes: { objectClass: ['organizationalRole'], cn: ['cos'] } },
    {
      dn: `cn=${model.cos.name},cn=cos,cn=zimbra`,
      attributes: {
        objectClass: ['zimbraCOS'],
        cn: [model.cos.name],
        zimbraId: [model.cos.zimbraId],
        zimbraCreateTimestamp: [generalizedTime(model.cos.createdAt)],
      },
    },
  ];
  const live = model.accounts.filter((a) => !a.deleted);
  const tops = [...new Set(model.domains.map((d) => d.name.split('.').at(-1) as string))].sort();
  for (const top of tops)
    entries.push({
      dn: `dc=${top}`,
      attributes: { objectClass: ['dcObject', 'organization'], dc: [top], o: [top] },
    });
  for (const domain of [...model.domains].sort((a, b) => a.name.localeCompare(b.name))) {
    const base = domainDn(domain.name);
    entries.push({
      dn: base,
      attributes: {
        objectClass: ['dcObject', 'organization', 'zimbraDomain'],
        dc: [domain.name.split('.')[0] as string],
        o: [domain.name],
        zimbraId: [domain.zimbraId],
        zimbraDomainName: [domain.name],
        zimbraDomainStatus: ['active'],
        zimbraCreateTimestamp: [generalizedTime(domain.createdAt)],
      },
    });
    entries.push({
      dn: `ou=people,${base}`,
      attributes: { objectClass: ['organizationalUnit'], ou: ['people'] },
    });
    const members = live
      .filter((a) => domainOf(a.name) === domain.name)
      .sort((x, y) => x.name.localeCompare(y.name));
    for (const account of members) {
      const uid = localPart(account.name);
      entries.push({
        dn: `uid=${uid},ou=people,${base}`,
        attributes: {
          objectClass: ['inetOrgPerson', 'zimbraAccount'],
          uid: [uid],
          cn: [uid],
          sn: [uid],
          mail: [account.name, ...account.aliases.map((a) => a.name)],
          zimbraId: [account.zimbraId],
          zimbraMailDeliveryAddress: [account.name],
          ...(account.aliases.length > 0 ? { zimbraMailAlias: account.aliases.map((a) => a.name) } : {}),
          zimbraAccountStatus: ['active'],
          zimbraMailHost: [model.mailHost],
          zimbraCOSId: [account.cosId],
          zimbraCreateTimestamp: [generalizedTime(account.createdAt)],
          userPassword: [passwordHash(account.zimbraId)],
        },
      });
    }
    // Aliases live in the domain of their own address, which may differ from the account's after a rename.
    for (const account of live)
      for (const alias of account.aliases.filter((a) => domainOf(a.name) === domain.name))
        entries.push({
          dn: `uid=${localPart(alias.name)},ou=people,${base}`,
          attributes: {
            objectClass: ['zimbraAlias'],
            uid: [localPart(alias.name)],
            zimbraId: [alias.zimbraId],
            zimbraAliasTargetId: [account.zimbraId],
          },
        });
    entries.push({
      dn: `uid=all,ou=people,${base}`,
      attributes: {
        objectClass: ['zimbraDistributionList'],
        uid: ['all'],
        mail: [`all@${domain.name}`],
        cn: [`everyone at ${domain.name}`],
        zimbraId: [domain.listId],
        zimbraMailStatus: ['enabled'],
        ...(members.length > 0 ? { zimbraMailForwardingAddress: members.map((a) => a.name) } : {}),
      },
    });
  }
  return entries;
}

export function domainDn(domain: string): string {
  return domain
    .split('.')
    .map((p) => `dc=${p}`)
    .join(',');
}

function domainOf(address: string): string {
  return address.slice(address.indexOf('@') + 1);
}

function localPart(address: string): string {
  return address.slice(0, address.indexOf('@'));
}

/** LDAP GeneralizedTime in UTC, as Zimbra writes its timestamps (`20261120090000Z`). */
export function generalizedTime(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * An account's password hash as OpenLDAP's {SSHA} writes one (SHA-1 of password and salt, then the salt,
 * base64), derived from the account's id so that every run of a seed has the same directory.
 */
export function passwordHash(zimbraId: string): string {
  const salt = createHash('sha256').update(`salt:${zimbraId}`).digest().subarray(0, 8);
  const digest = createHash('sha1').update(`password of ${zimbraId}`).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}
