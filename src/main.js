// The service's entry point: `npm start`, or `node src/main.js` under a process manager. Plain
// JavaScript, so that an older Node answers with one line that says what to install: it would
// refuse main.ts for its extension before running any of it.
import '../scripts/check-node.js';

await import('./main.ts');
