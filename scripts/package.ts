// `npm run package`: the agent and CLI for a mail host without a Node toolchain, as one archive to unpack
// into /opt: offsite/bin/offsite (a shell launcher), offsite/bin/node (the pinned Node), offsite/lib/ (the
// bundle, every dependency inside), offsite/share/ (the systemd unit and an example configuration).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBundle, ROOT } from './build-bundle.ts';

const LAUNCHER = `#!/bin/sh
# offsite with its own Node (bin/node): nothing else is needed on the host.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$here/node" "$here/../lib/offsite.mjs" "$@"
`;

/** Builds the host package under `outDir`; returns the archive's path and the tree it was made from. */
export async function buildHostPackage(
  outDir = join(ROOT, 'dist'),
): Promise<{ archive: string; tree: string }> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const name = `offsite-${version}-${platform()}-${arch()}`;
  const stage = resolve(outDir, name);
  const tree = join(stage, 'offsite');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(tree, 'bin'), { recursive: true });
  mkdirSync(join(tree, 'share'), { recursive: true });
  await buildBundle(join(tree, 'lib'));
  // The Node binary the project pins (the npm package `node`), not whatever runs this script.
  const node = realpathSync(createRequire(import.meta.url).resolve('node/bin/node'));
  copyFileSync(node, join(tree, 'bin', 'node'));
  chmodSync(join(tree, 'bin', 'node'), 0o755);
  writeFileSync(join(tree, 'bin', 'offsite'), LAUNCHER, { mode: 0o755 });
  for (const file of ['offsite-agent.service', 'agent.example.json'])
    copyFileSync(join(ROOT, 'agent', 'systemd', file), join(tree, 'share', file));
  const archive = resolve(outDir, `${name}.tar.gz`);
  execFileSync('tar', ['-C', stage, '-czf', archive, 'offsite']);
  return { archive, tree };
}

if (import.meta.main) {
  const { archive } = await buildHostPackage(process.argv[2]);
  process.stdout.write(
    `${archive}\ninstall: tar -C /opt -xzf ${archive} && cp /opt/offsite/share/offsite-agent.service /etc/systemd/system/\n`,
  );
}
