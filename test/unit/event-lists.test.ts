import { expect } from 'chai';
import { diffLines } from 'diff';
import { readFileSync } from 'node:fs';
import { deriveEventLists } from '../../scripts/event-lists.ts';
import { contractUrl } from '../../src/contract/document.ts';

const contract = readFileSync(contractUrl, 'utf8');

/** The contract without the `webhooks:` entry of an event. */
function withoutWebhook(name: string): string {
  const start = contract.indexOf(`\n  ${name}:\n`);
  const end = contract.slice(start + 1).search(/\n {2}\S|\n\S/) + start + 1;
  return contract.slice(0, start) + contract.slice(end);
}

describe("the contract's lists of events, derived from webhooks:", () => {
  it('are in step in the contract as committed', () => {
    expect(deriveEventLists(contract)).to.equal(contract);
  });

  it('lose an event that leaves webhooks:, line by line, and nothing else changes', () => {
    const text = withoutWebhook('v1.conversation.handoff.ended');
    const removed = diffLines(text, deriveEventLists(text))
      .filter((part) => part.added || part.removed)
      .map((part) => ({
        removed: part.removed,
        lines: part.value
          .trim()
          .split('\n')
          .map((line) => line.trim()),
      }));
    expect(removed).to.deep.equal([
      { removed: true, lines: ['conversationHandoffEnded:', "$ref: '#/components/examples/ConversationHandoffEnded'"] },
      { removed: true, lines: ["- $ref: '#/components/schemas/ConversationHandoffEndedEvent'"] },
      { removed: true, lines: ['- v1.conversation.handoff.ended'] },
    ]);
  });

  it('name the webhook whose schema is not a reference', () => {
    const text = contract.replace("              $ref: '#/components/schemas/EndUserUpdatedEvent'\n", '              type: object\n');
    expect(() => deriveEventLists(text)).to.throw(
      'webhooks: v1.end_user.updated needs post.requestBody.content.application/json.schema, a $ref to #/components/schemas/<its schema>.',
    );
  });
});
