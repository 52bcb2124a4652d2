// The round trip of docs/contract.md: a field changed in the contract, `npm run generate`, and the
// type check fails where code reads that field. Runs the real generator and the real compiler.
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { dump } from 'js-yaml';
import { loadContract } from '../../src/contract/document.ts';
import { generateFiles } from '../../scripts/generate.ts';

const handlerSource = `import type { EventPayloadMap } from './contract/events.ts';
export const endedBy = (event: EventPayloadMap['v1.conversation.ended']) => event.data.ended_by?.role;
`;

/** Type-checks a handler against types generated from `contract`; returns the compiler's messages. */
async function typeCheckHandler(contract: object): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'ada-round-trip-'));
  try {
    mkdirSync(join(root, 'generated'));
    mkdirSync(join(root, 'src', 'contract'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    const contractPath = join(root, 'ada-webhooks.yaml');
    writeFileSync(contractPath, dump(contract));
    for (const [name, contents] of await generateFiles(pathToFileURL(contractPath))) {
      writeFileSync(join(root, 'generated', name), contents);
    }
    copyFileSync(new URL('../../src/contract/events.ts', import.meta.url), join(root, 'src', 'contract', 'events.ts'));
    writeFileSync(join(root, 'src', 'handler.ts'), handlerSource);

    const { config } = ts.readConfigFile(new URL('../../tsconfig.json', import.meta.url).pathname, ts.sys.readFile);
    const { options } = ts.convertCompilerOptionsFromJson({ ...config.compilerOptions, types: [] }, root);
    const program = ts.createProgram([join(root, 'src', 'handler.ts')], options);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('editing the contract and regenerating', function () {
  this.timeout(30_000);

  it('type-checks a handler that reads a field of the current contract', async () => {
    expect(await typeCheckHandler(loadContract())).to.deep.equal([]);
  });

  it('fails the type check once that field is renamed in the contract', async () => {
    const contract = loadContract();
    const ended = contract.components.schemas['ConversationEndedData']!['properties'] as Record<string, unknown>;
    ended['closed_by'] = ended['ended_by'];
    delete ended['ended_by'];

    const messages = await typeCheckHandler(contract);
    expect(messages).to.have.length(1);
    expect(messages[0]).to.match(/Property 'ended_by' does not exist/);
  });
});
