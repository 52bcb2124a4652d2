// Plain JavaScript on purpose: it must run on any Node, so that an old system Node gets a clear
// message instead of a SyntaxError from the TypeScript sources. npm scripts run it first.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    [
      `ada-webhooks needs Node.js 24; this is Node.js ${process.version} (${process.execPath}).`,
      'The project installs Node 24 itself, as the npm package "node" pinned in package.json,',
      'and npm scripts put it first on PATH. It is missing when the install skipped scripts',
      '(npm ci --ignore-scripts) or did not run: run `npm install` (or `npm ci`) again.',
      'Outside npm scripts, run ./node_modules/.bin/node instead of the system node.',
    ].join('\n'),
  );
  process.exit(1);
}
