// The partner mock (`npm run mock`: Prism behind its front) and the real receiver give the same
// verdict for every request of the corpus: the same status, and for a contract violation the same
// violations in the same problem document. Where the mock cannot agree (it has no secret, and
// stores nothing), the corpus says so, and that is checked too.
import { expect } from 'chai';
import { networkInterfaces } from 'node:os';
import { startMock, type PrismProcess } from '../support/prism.ts';
import { startReceiver, type TestReceiver } from '../support/receiver.ts';
import { sendCase } from '../support/send.ts';
import { corpus } from './corpus.ts';

describe('the Prism mock and the receiver', function () {
  this.timeout(30_000);
  let mock: PrismProcess;
  let receiver: TestReceiver;
  before(async () => {
    [mock, receiver] = await Promise.all([startMock(), startReceiver()]);
  });
  after(() => Promise.all([mock?.stop(), receiver?.close()]));

  it('are compared on at least 40 requests', () => {
    expect(corpus.length).to.be.at.least(40);
  });

  for (const testCase of corpus) {
    const expectation = testCase.mockDiffers
      ? `receiver ${testCase.status}, mock ${testCase.mockDiffers.status}: ${testCase.mockDiffers.because}`
      : `both ${testCase.status}`;
    it(`${testCase.name}: ${expectation}`, async () => {
      const headers = testCase.headers();
      const [fromMock, fromReceiver] = await Promise.all([
        sendCase(mock.url, testCase, headers),
        sendCase(receiver.url, testCase, headers),
      ]);
      expect(fromReceiver.status, 'receiver').to.equal(testCase.status);
      expect(fromMock.status, 'mock').to.equal(testCase.mockDiffers ? testCase.mockDiffers.status : testCase.status);
      if (fromReceiver.status === 422 && fromMock.status === 422) {
        const problem = (body: string) => JSON.parse(body) as { title: string; violations: unknown[] };
        expect(problem(fromMock.body).violations, 'violations').to.deep.equal(problem(fromReceiver.body).violations).and.not.be.empty;
        expect(problem(fromMock.body).title).to.equal(problem(fromReceiver.body).title);
      }
    });
  }
});

describe('the partner mock on other hosts', function () {
  this.timeout(30_000);

  it("listens where MOCK_HOST says, so that a partner's containers can reach it", async function () {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && !entry.internal && entry.family === 'IPv4')?.address;
    if (!address) {
      console.warn('    (skipped: this machine has no address other than loopback)');
      this.skip();
    }
    const mock = await startMock({ MOCK_HOST: '0.0.0.0' });
    try {
      expect(mock.output()).to.include('(MOCK_HOST=0.0.0.0)');
      const { port } = new URL(mock.url);
      expect((await fetch(`http://${address}:${port}/healthz`)).status).to.equal(200);
    } finally {
      await mock.stop();
    }
  });
});
