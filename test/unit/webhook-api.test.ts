import { expect } from 'chai';
import { loadContract } from '../../src/contract.ts';
import type { Inbox } from '../../src/inbox/inbox.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createWebhookApi } from '../../src/server/webhook-api.ts';
import { createVerifier } from '../../src/signature.ts';

describe('the openapi-backend wiring', () => {
  it('routes every operation of the OpenAPI 3.1 contract (an empty router would answer 404 to all)', async () => {
    const inbox = {} as Inbox; // never called: no request is handled here
    const api = await createWebhookApi({
      contract: loadContract(),
      inbox,
      metrics: createMetrics(inbox),
      intake: { verify: createVerifier({ secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], toleranceSeconds: 300 }) },
    });
    expect(api.getOperations().map((operation) => `${operation.method} ${operation.path} ${operation.operationId}`)).to.have.members([
      'post /webhooks/ada receiveAdaWebhook',
      'get /healthz getHealth',
      'get /readyz getReadiness',
      'get /metrics getMetrics',
    ]);
  });

  it('refuses a contract that lacks an operation the receiver serves', async () => {
    const contract = loadContract();
    delete contract.paths['/readyz'];
    const inbox = {} as Inbox;
    let failure: unknown;
    await createWebhookApi({ contract, inbox, metrics: createMetrics(inbox) }).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.include('Unknown operationId getReadiness');
  });
});
