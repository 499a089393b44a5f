import type { z } from 'zod';
import type { BundleSource } from '#agent/restore/bundle-source.ts';
import { BundleIntegrityError } from '#agent/restore/errors.ts';
import { ValidationError } from '#core/errors.ts';
import {
  type AccountManifest,
  accountDir,
  accountManifestSchema,
  type BundleManifest,
  type BundleMessage,
  bundleManifestSchema,
} from '#core/restore/bundle-manifest.ts';
import { parseOrThrow } from '#core/validation.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

export interface OpenBundle {
  readonly source: BundleSource;
  readonly manifest: BundleManifest;
  /** The accounts' manifests in bundle order, each checked against its SHA-256 and the schema. */
  readonly accounts: readonly AccountManifest[];
  /** A message's bytes, checked against the manifest's SHA-256. */
  message(account: number, message: BundleMessage): Promise<Buffer>;
  /** A file named by a manifest with its SHA-256 (LDIF), checked. */
  file(path: string, sha256: string): Promise<Buffer>;
}

/**
 * Reads a bundle's manifests and checks everything before a caller writes anything: the bundle manifest
 * against `expectedSha256` (the operation's record of it) when given, each account manifest against the
 * SHA-256 the bundle manifest names, and every manifest against the schema (unsafe names, foreign paths,
 * broken folder trees are refused). Messages are checked as they are read.
 */
export async function openBundle(source: BundleSource, expectedSha256?: string): Promise<OpenBundle> {
  const raw = await source.read('manifest.json');
  if (expectedSha256 && sha256Hex(raw) !== expectedSha256)
    throw new BundleIntegrityError(
      `the bundle manifest in ${source.description} has SHA-256 ${sha256Hex(raw)}, but the operation recorded ${expectedSha256}`,
    );
  const manifest = parse(bundleManifestSchema, raw, `bundle manifest in ${source.description}`);
  const accounts: AccountManifest[] = [];
  for (const entry of manifest.accounts) {
    if (entry.file !== `${accountDir(entry.index)}/manifest.json`)
      throw new BundleIntegrityError(
        `account ${entry.name}: manifest file ${entry.file} is not where the bundle keeps it`,
      );
    const bytes = await checked(source, entry.file, entry.sha256);
    const account = parse(accountManifestSchema, bytes, `manifest of ${entry.name}`);
    if (account.account.name !== entry.name || account.target !== entry.target)
      throw new BundleIntegrityError(
        `account manifest ${entry.file} names ${account.account.name}, not ${entry.name}`,
      );
    accounts.push(account);
  }
  return {
    source,
    manifest,
    accounts,
    message: (account, message) => checked(source, `${accountDir(account)}/${message.file}`, message.sha256),
    file: (path, sha256) => checked(source, path, sha256),
  };
}

async function checked(source: BundleSource, path: string, sha256: string): Promise<Buffer> {
  const bytes = await source.read(path);
  const actual = sha256Hex(bytes);
  if (actual !== sha256)
    throw new BundleIntegrityError(
      `${path} in ${source.description} has SHA-256 ${actual}, the manifest says ${sha256}: the bundle was altered or damaged; download it again`,
    );
  return bytes;
}

function parse<S extends z.ZodType>(schema: S, bytes: Buffer, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new BundleIntegrityError(`${what} is not JSON`, { cause });
  }
  try {
    return parseOrThrow(schema, json, what);
  } catch (error) {
    if (error instanceof ValidationError) throw new BundleIntegrityError(error.message, { cause: error });
    throw error;
  }
}
