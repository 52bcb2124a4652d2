// The oldest Node that the package runs on, the one package.json's `engines` names (a test keeps
// them equal, and runs the packed package on it). On an older Node, importing the package throws
// one line that says what to install, rather than an error about a module that Node lacks.
const oldest = { major: 22, minor: 13 };

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < oldest.major || (major === oldest.major && minor < oldest.minor)) {
  throw new Error(
    `ada-webhooks needs Node.js ${oldest.major}.${oldest.minor} or later, and this is Node.js ${process.version}: install Node.js 24 LTS (or ${oldest.major}.${oldest.minor} or a later ${oldest.major}).`,
  );
}

export const oldestNode = `${oldest.major}.${oldest.minor}`;
