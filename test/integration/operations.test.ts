import { expect } from 'chai';
import { contractExample, deliver, startReceiver, type TestReceiver } from '../support/receiver.ts';

describe('health, readiness and metrics', () => {
  let receiver: TestReceiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  const get = async (path: string) => {
    const response = await fetch(`${receiver.url}${path}`);
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };

  it('GET /healthz answers 200 while the process runs', async () => {
    expect(await get('/healthz')).to.deep.include({ status: 200, text: '{"status":"ok"}' });
  });

  it('GET /readyz answers 200 when the inbox is reachable and the contract loaded', async () => {
    const answer = await get('/readyz');
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal({ status: 'ready', checks: { inbox: 'ok', contract: 'ok' } });
  });

  it('GET /readyz answers 503 when the inbox cannot be reached', async () => {
    await receiver.inbox.close();
    const answer = await get('/readyz');
    expect(answer.status).to.equal(503);
    expect(JSON.parse(answer.text)).to.deep.equal({ status: 'unavailable', checks: { inbox: 'unavailable', contract: 'ok' } });
  });

  it('GET /metrics counts deliveries by outcome and event type, latency and inbox rows by state', async () => {
    await deliver(receiver.url, contractExample('ConversationCreated'));
    await deliver(receiver.url, contractExample('ConversationCreated'), { secret: `whsec_${Buffer.alloc(24, 3).toString('base64')}` });
    await deliver(receiver.url, { type: 'v1.conversation.created', timestamp: 'soon', data: {} });

    const answer = await get('/metrics');
    expect(answer.status).to.equal(200);
    expect(answer.type).to.match(/^text\/plain/);
    const lines = answer.text.split('\n');
    expect(lines).to.include.members([
      'ada_webhook_deliveries_total{outcome="accepted",event_type="v1.conversation.created"} 1',
      'ada_webhook_deliveries_total{outcome="unauthorized",event_type="unverified"} 1',
      'ada_webhook_deliveries_total{outcome="quarantined",event_type="v1.conversation.created"} 1',
      'ada_webhook_request_duration_seconds_count{outcome="accepted"} 1',
      'ada_webhook_inbox_deliveries{state="pending"} 1',
      'ada_webhook_inbox_deliveries{state="quarantined"} 1',
      'ada_webhook_inbox_deliveries{state="done"} 0',
    ]);
  });

  it('answers unknown paths and methods with problem details', async () => {
    expect(await get('/nowhere')).to.deep.equal({
      status: 404,
      type: 'application/problem+json',
      text: '{"type":"about:blank","title":"Not Found","status":404}',
    });
    const response = await fetch(`${receiver.url}/webhooks/ada`);
    expect(response.status).to.equal(405);
    expect(response.headers.get('allow')).to.equal('POST');
    expect(await response.json()).to.deep.equal({ type: 'about:blank', title: 'Method Not Allowed', status: 405 });
  });
});
