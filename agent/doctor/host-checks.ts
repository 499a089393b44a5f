import { constants } from 'node:fs';
import { access, open, readdir, readFile, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { type DoctorCheck, fail, ok, warn } from '#agent/doctor/doctor-check.ts';
import { FILE_HEADER_SIZE, parseFileHeader } from '#core/redo/file-header.ts';
import { formatVersion, LATEST_VERSION } from '#core/redo/version.ts';

const errorText = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** The redo log: its directory readable, redo.log readable, its header a redo header this build reads. */
export async function redoLogChecks(config: AgentConfig): Promise<DoctorCheck[]> {
  const dir = join(config.zimbraHome, 'redolog');
  const name = 'redo log directory';
  try {
    if (!(await stat(dir)).isDirectory())
      return [
        fail(name, `${dir} is not a directory`, 'zimbraHome must be the Zimbra installation (/opt/zimbra)'),
      ];
    await readdir(dir);
  } catch (error) {
    const denied = (error as NodeJS.ErrnoException).code === 'EACCES';
    return [
      fail(
        name,
        `${dir}: ${errorText(error)}`,
        denied
          ? 'run the agent (and this check) as the zimbra user, or give its group read access to redolog/'
          : 'check zimbraHome in the configuration (the directory that holds redolog/)',
      ),
    ];
  }
  const checks = [ok(name, `${dir} is readable`)];
  const file = join(dir, 'redo.log');
  let header: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      header = Buffer.alloc(FILE_HEADER_SIZE);
      const { bytesRead } = await handle.read(header, 0, FILE_HEADER_SIZE, 0);
      header = header.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    checks.push(
      fail(
        'redo.log',
        `${file}: ${errorText(error)}`,
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'the server writes no redo log: turn redo logging on (zimbraRedoLogEnabled TRUE) and restart the mailbox service'
          : 'run the agent as the zimbra user, or give its group read access to redo.log',
      ),
    );
    return checks;
  }
  try {
    const h = parseFileHeader(header);
    checks.push(
      ok(
        'redo log version',
        `redo.log: file ${h.sequence}, format ${formatVersion(h.version)} (this build reads up to ${formatVersion(LATEST_VERSION)}), written by server ${h.serverId || '(unnamed)'}`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(
        'redo log version',
        `${file}: ${(error as Error).message}`,
        'a redo log of a newer Zimbra needs a newer offsite; anything else is not a Zimbra redo log',
      ),
    );
  }
  const archive = join(dir, 'archive');
  try {
    await access(archive, constants.R_OK | constants.X_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      checks.push(
        fail(
          'redo archive',
          `${archive}: ${errorText(error)}`,
          'give the agent read access to redolog/archive/',
        ),
      );
  }
  return checks;
}

/** The Zimbra release, from the install history the installer keeps. */
export async function zimbraVersionCheck(config: AgentConfig): Promise<DoctorCheck> {
  const file = join(config.zimbraHome, '.install_history');
  try {
    const versions = [...(await readFile(file, 'utf8')).matchAll(/zimbra-core-(\S+)/g)].map((m) => m[1]);
    const last = versions.at(-1);
    return last
      ? ok('Zimbra version', `zimbra-core ${last} (${file})`)
      : warn('Zimbra version', `no zimbra-core package in ${file}`);
  } catch (error) {
    return warn('Zimbra version', `unknown: ${file}: ${errorText(error)}`);
  }
}

/** The state directory: writable (or creatable), with room for the spool. */
export async function stateDirCheck(config: AgentConfig): Promise<DoctorCheck> {
  const name = 'state directory';
  let existing = config.stateDir;
  for (;;) {
    try {
      await stat(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    return fail(
      name,
      `${existing}: ${errorText(error)}`,
      `let the agent's user write ${config.stateDir} (the systemd unit's StateDirectory creates it)`,
    );
  }
  const fs = await statfs(existing);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const spool = config.spool.maxMiB * 1024 * 1024;
  const where =
    existing === config.stateDir ? config.stateDir : `${config.stateDir} (to be created in ${existing})`;
  if (free < spool)
    return warn(
      name,
      `${where}: ${Math.floor(free / 1048576)} MiB free, less than spool.maxMiB (${config.spool.maxMiB})`,
      'free space there, or lower spool.maxMiB: a long outage would fill the disk first',
    );
  return ok(name, `${where}: writable, ${Math.floor(free / 1048576)} MiB free`);
}
