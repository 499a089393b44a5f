// Every npm script runs on the Node pinned in devDependencies (npm package `node`).
// Lambda runs nodejs24.x; anything else here would test a different runtime.
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major !== REQUIRED_MAJOR) {
  process.stderr.write(
    `offsite: this project runs on Node ${REQUIRED_MAJOR}, but this is Node ${process.versions.node} (${process.execPath}).\n` +
      'Run it through npm (`npm start`, `npm test`), which puts the pinned Node from node_modules/.bin first on PATH,\n' +
      'or run `npm install` first if node_modules is missing.\n',
  );
  process.exit(1);
}
