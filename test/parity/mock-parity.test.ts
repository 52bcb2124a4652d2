// The partner mock (`npm run mock`: Prism behind its front) and the real receiver give the same
// verdict for every request of the corpus: the same status, and for a contract violation the same
// violations in the same problem document. Where the mock cannot agree (it has no secret, and
// stores nothing), the corpus says so, and that is checked too.
import { expect } from 'chai';
import { networkInterfaces } from 'node:os';
import { startMock, type PrismProcess } from '../support/prism.ts';
import { eventually } from '../support/eventually.ts';
import { contractExample, post, signedHeaders, startReceiver, type TestReceiver } from '../support/receiver.ts';
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

describe("the partner mock's terminal and answers", function () {
  this.timeout(30_000);
  const delivery = JSON.stringify(contractExample('ConversationCreated'));
  const invalid = JSON.stringify({ ...contractExample('ConversationCreated'), timestamp: 'soon' });

  async function exercise(mock: PrismProcess) {
    const signed = signedHeaders(delivery);
    const accepted = await post(mock.url, delivery, signed);
    const missing = await post(mock.url, delivery, { 'content-type': 'application/json', 'svix-id': 'msg_unsigned' });
    const stale = await post(mock.url, delivery, signedHeaders(delivery, { timestamp: Math.floor(Date.now() / 1000) - 1000 }));
    const violating = await post(mock.url, invalid, signedHeaders(invalid));
    await eventually(
      () =>
        mock
          .output()
          .split('\n')
          .filter((line) => line.includes(' POST /webhooks/ada -> ')).length === 4,
    );
    return { id: signed['svix-id']!, accepted, missing, stale, violating };
  }

  it('prints one line per request with its verdict, echoes the svix-id, and says which header is missing or stale', async () => {
    const mock = await startMock();
    try {
      const { id, accepted, missing, stale, violating } = await exercise(mock);
      expect(accepted).to.include({ status: 200 });
      expect(accepted.body).to.deep.equal({ status: 'accepted', id });
      expect(missing.status).to.equal(401);
      expect(missing.body.detail).to.match(/^The signature headers are missing: svix-timestamp, svix-signature /);
      expect(stale.body.detail).to.match(/^The signed timestamp is (999|100\d) seconds old; the receiver takes at most 300 seconds/);
      expect(violating.status).to.equal(422);

      const lines = mock.output().trim().split('\n');
      expect(lines[0]).to.match(/^mock listening on http:\/\/127\.0\.0\.1:\d+\/webhooks\/ada /);
      expect(lines.slice(1)).to.have.length(4);
      const [acceptedLine, missingLine, staleLine, violatingLine] = lines.slice(1);
      expect(acceptedLine).to.match(new RegExp(`^\\S+Z {2}POST /webhooks/ada -> 200 v1\\.conversation\\.created ${id} accepted`));
      expect(missingLine).to.match(/ -> 401 The signature headers are missing: svix-timestamp, svix-signature /);
      expect(staleLine).to.match(/ -> 401 The signed timestamp is \d+ seconds old/);
      expect(violatingLine).to.match(/ -> 422 v1\.conversation\.created msg_\w+ violates the contract: \/timestamp: must match pattern/);
      expect(mock.output()).to.not.include('[VALIDATOR]').and.not.include('Prism');
    } finally {
      await mock.stop();
    }
  });

  it("adds Prism's own lines with --verbose", async () => {
    const mock = await startMock({}, ['--verbose']);
    try {
      await exercise(mock);
      expect(mock.output()).to.include('Prism is listening').and.include('[VALIDATOR]');
    } finally {
      await mock.stop();
    }
  });
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
