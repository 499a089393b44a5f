import { lstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BundleIntegrityError, RestoreTargetError } from '#agent/restore/errors.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';

/** Where a bundle's files are read from: the bucket, or a directory a download wrote. */
export interface BundleSource {
  readonly description: string;
  read(path: string): Promise<Buffer>;
}

/** Paths inside a bundle are relative and plain; anything else is refused before it reaches a file system. */
export function checkBundlePath(path: string): string {
  if (
    path.length === 0 ||
    path.length > 512 ||
    path.includes('\0') ||
    path.includes('\\') ||
    isAbsolute(path) ||
    path.split('/').some((part) => part === '' || part === '.' || part === '..')
  )
    throw new BundleIntegrityError(`unsafe path in bundle: ${JSON.stringify(path.slice(0, 100))}`);
  return path;
}

/**
 * `file` inside `dir`, or an error: the containment check every write and read of a local bundle passes. A
 * symbolic link on the way (below `dir`) is refused, not followed: a link planted in a target directory
 * would otherwise carry a restore's writes anywhere the operator can write.
 */
export function inside(dir: string, file: string): string {
  const base = resolve(dir);
  const full = resolve(base, checkBundlePath(file));
  const rel = relative(base, full);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new BundleIntegrityError(`path ${JSON.stringify(file)} leaves ${base}`);
  let at = base;
  for (const part of rel.split(sep)) {
    at = join(at, part);
    let link = false;
    try {
      link = lstatSync(at).isSymbolicLink();
    } catch {
      break; // not there yet: nothing below it can be a link
    }
    if (link)
      throw new RestoreTargetError(
        `${at} is a symbolic link: a restore does not follow links; remove it or choose another directory`,
      );
  }
  return full;
}

export function s3BundleSource(s3: S3Client, bucket: string, operationId: string): BundleSource {
  const prefix = operationObjectKeys.restore.bundle(operationId);
  return {
    description: `s3://${bucket}/${prefix}`,
    async read(path) {
      const key = prefix + checkBundlePath(path);
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await objectBody(got);
      } catch (cause) {
        throw new BundleIntegrityError(`cannot read s3://${bucket}/${key}: ${(cause as Error).name}`, {
          cause,
        });
      }
    },
  };
}

export function directoryBundleSource(dir: string): BundleSource {
  return {
    description: dir,
    async read(path) {
      try {
        return await readFile(inside(dir, path));
      } catch (cause) {
        if (cause instanceof BundleIntegrityError) throw cause;
        throw new BundleIntegrityError(`cannot read ${join(dir, path)}: ${(cause as Error).message}`, {
          cause,
        });
      }
    },
  };
}
