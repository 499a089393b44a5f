#!/usr/bin/env node
// `offsite` as installed by npm: runs the bundle (dist/offsite.mjs) on the Node it is built for, the npm
// package `node` (a dependency), whatever Node started this launcher. Plain JavaScript, for any Node.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'offsite.mjs');
if (process.versions.node.split('.')[0] === '24') {
  await import(pathToFileURL(bundle).href);
} else {
  let node;
  try {
    node = createRequire(import.meta.url).resolve('node/bin/node');
  } catch {
    process.stderr.write(
      `offsite: needs Node 24 (this is ${process.version}) and the npm package "node" is not installed next to it: reinstall offsite\n`,
    );
    process.exit(2);
  }
  const child = spawn(node, [bundle, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The agent stops on SIGTERM/SIGINT and dumps LDAP on SIGUSR1: they reach it through this launcher.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'])
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
