// The Prism mock and the real receiver give the same verdict, with the same status, for every
// request of the corpus; where the mock cannot agree the corpus says so, and that is checked too.
import { expect } from 'chai';
import { contractUrl } from '../../src/contract.ts';
import { startPrism, type PrismProcess } from '../support/prism.ts';
import { startReceiver, type TestReceiver } from '../support/receiver.ts';
import { sendCase } from '../support/send.ts';
import { corpus } from './corpus.ts';

describe('the Prism mock and the receiver', function () {
  this.timeout(30_000);
  let mock: PrismProcess;
  let receiver: TestReceiver;
  before(async () => {
    [mock, receiver] = await Promise.all([startPrism(['mock', contractUrl.pathname]), startReceiver()]);
  });
  after(() => Promise.all([mock?.stop(), receiver?.close()]));

  it('are compared on at least 40 requests', () => {
    expect(corpus.length).to.be.at.least(40);
  });

  for (const testCase of corpus) {
    const expectation = testCase.mockDiffers
      ? `receiver ${testCase.status}, mock ${testCase.mockDiffers.status ?? 'no answer'}: ${testCase.mockDiffers.because}`
      : `both ${testCase.status}`;
    it(`${testCase.name}: ${expectation}`, async () => {
      const headers = testCase.headers();
      const [fromMock, fromReceiver] = await Promise.all([sendCase(mock.url, testCase, headers), sendCase(receiver.url, testCase, headers)]);
      expect(fromReceiver.status, 'receiver').to.equal(testCase.status);
      expect(fromMock.status, 'mock').to.equal(testCase.mockDiffers ? testCase.mockDiffers.status : testCase.status);
      if (fromMock.status === 422) {
        expect(JSON.parse(fromMock.violations ?? '[]'), 'the mock names the violations in sl-violations').to.not.be.empty;
      }
    });
  }
});
