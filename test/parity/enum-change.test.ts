// One edit of an enum in the document changes the mock's and the receiver's verdicts alike, with
// no other change: both are driven by the same file.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { loadContract } from '../../src/contract/document.ts';
import { useTemporaryDirectory } from '../support/process.ts';
import { startPrism } from '../support/prism.ts';
import { contractExample, signedHeaders, startReceiver } from '../support/receiver.ts';
import { sendCase } from '../support/send.ts';

describe('editing an enum in the contract', function () {
  this.timeout(30_000);
  const temporaryDirectory = useTemporaryDirectory('ada-enum-');

  it('turns the same verdicts around in the mock and the receiver', async () => {
    // The edit: `fax` becomes a channel modality, `email` stops being one.
    const contract = loadContract();
    contract.components.schemas['ChannelModality']!['enum'] = ['messaging', 'voice', 'sms', 'fax'];
    const path = join(temporaryDirectory(), 'ada-webhooks.yaml');
    writeFileSync(path, dump(contract));

    const faxMessage = contractExample('ConversationMessageLink');
    faxMessage['data'].channel.modality = 'fax';
    const emailMessage = contractExample('ConversationMessageFile');
    expect(emailMessage['data'].channel.modality).to.equal('email');
    const cases = [faxMessage, emailMessage].map((event) => {
      const body = JSON.stringify(event);
      return { name: event['data'].channel.modality, body, headers: () => signedHeaders(body), status: 0 };
    });

    const [mock, receiver] = await Promise.all([startPrism(['mock', path]), startReceiver({ contract })]);
    try {
      const verdicts = [];
      for (const testCase of cases) {
        const headers = testCase.headers();
        const [fromMock, fromReceiver] = await Promise.all([
          sendCase(mock.url, testCase, headers),
          sendCase(receiver.url, testCase, headers),
        ]);
        verdicts.push({ modality: testCase.name, mock: fromMock.status, receiver: fromReceiver.status });
      }
      // With the original document the verdicts are the other way round (see the parity corpus).
      expect(verdicts).to.deep.equal([
        { modality: 'fax', mock: 200, receiver: 200 },
        { modality: 'email', mock: 422, receiver: 422 },
      ]);
    } finally {
      await Promise.all([mock.stop(), receiver.close()]);
    }
  });
});
