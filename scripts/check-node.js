// Plain JavaScript on purpose: it must run on any Node, so that an old Node gets one line that
// says what to install instead of an error about the TypeScript sources. npm scripts run it first,
// and src/main.js imports it before the service.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `ada-webhooks needs Node.js 24, and this is Node.js ${process.version} (${process.execPath}): install Node.js 24 LTS, ` +
      'or run npm install (npm ci) here, which puts the Node 24 that the project pins in node_modules/.bin, where npm scripts find it ' +
      '(an install with --omit=dev or --ignore-scripts leaves it out).',
  );
  process.exit(1);
}
