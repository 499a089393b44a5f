import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChildEmulator } from '#local/emulators/child-emulator.ts';
import { freePort, httpAnswers, LOOPBACK } from '#local/emulators/ports.ts';

/** Debian's Radicale (CalDAV and CardDAV), installed by `.ci/run`. */
const RADICALE = '/usr/bin/radicale';

export interface Radicale {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Where Radicale keeps collections: `<storage>/collection-root/<user>/<collection>/<item>`. */
  readonly storage: string;
  stop(): Promise<void>;
}

/**
 * A private Radicale on loopback: one user with a plain-text password (htpasswd), allowed to write every
 * collection (rights `authenticated`: the administrator restores for every account), storage under `dir`.
 */
export async function startRadicale(dir: string): Promise<Radicale> {
  const port = await freePort();
  const storage = join(dir, 'collections');
  mkdirSync(storage, { recursive: true });
  const user = 'restore-admin';
  const password = 'dav-secret-31';
  writeFileSync(join(dir, 'users'), `${user}:${password}\n`, { mode: 0o600 });
  const config = join(dir, 'config');
  writeFileSync(
    config,
    [
      '[server]',
      `hosts = ${LOOPBACK}:${port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${join(dir, 'users')}`,
      'htpasswd_encryption = plain',
      '[rights]',
      'type = authenticated',
      '[storage]',
      `filesystem_folder = ${storage}`,
      '[logging]',
      'level = warning',
      '',
    ].join('\n'),
  );
  const url = `http://${LOOPBACK}:${port}`;
  const child = await startChildEmulator({
    name: 'radicale',
    command: RADICALE,
    args: ['--config', config],
    endpoint: url,
    ready: () => httpAnswers(`${url}/`),
    startTimeoutMs: 15_000,
    missingHint: 'Radicale is needed for the CalDAV/CardDAV tests (Debian: apt-get install radicale)',
  });
  return { url, user, password, storage, stop: () => child.stop() };
}

/** The items of a collection as Radicale stored them (read from its storage, not over HTTP). */
export function storedItems(server: Radicale, path: string): Map<string, string> {
  const dir = join(server.storage, 'collection-root', path);
  const items = new Map<string, string>();
  if (!existsSync(dir)) return items;
  // Radicale keeps its own state (`.Radicale.props`, caches) in dot files.
  for (const name of readdirSync(dir))
    if (!name.startsWith('.')) items.set(name, readFileSync(join(dir, name), 'utf8'));
  return items;
}
