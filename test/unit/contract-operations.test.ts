import Router from '@koa/router';
import { expect } from 'chai';
import { dereferenceContract, loadContract } from '../../src/contract/document.ts';
import { loadRequestValidator, routeOperations } from '../../src/contract/operations.ts';
import { maxViolationsReported } from '../../src/contract/validation.ts';
import { contractExample } from '../support/receiver.ts';

describe("the contract's operations", () => {
  const noop = () => {};

  it('routes each operation served at the method and path that the contract gives it', () => {
    const router = new Router();
    routeOperations(router, loadContract(), { receiveAdaWebhook: [noop], getHealth: [noop], getReadiness: [noop], getMetrics: [noop] });
    expect(router.stack.map((layer) => `${layer.methods.join(',')} ${layer.path}`)).to.have.members([
      'POST /webhooks/ada',
      'HEAD,GET /healthz',
      'HEAD,GET /readyz',
      'HEAD,GET /metrics',
    ]);
  });

  it('refuses to serve an operation that the contract lacks', () => {
    const contract = loadContract();
    delete contract.paths['/readyz'];
    expect(() => routeOperations(new Router(), contract, { getReadiness: [noop] })).to.throw('The contract has no operation getReadiness');
  });

  it("validates a request's body and headers against the contract", async () => {
    const validate = await loadRequestValidator(await dereferenceContract(loadContract()), 'receiveAdaWebhook');
    const headers = { 'content-type': 'application/json', 'svix-id': 'msg_1' };
    const message = contractExample('ConversationMessageText');
    expect(validate({ headers, body: message })).to.deep.equal([]);

    message['data'].conversation_id = 42;
    expect(validate({ headers: { ...headers, 'webhook-timestamp': 'soon' }, body: message })).to.have.deep.members([
      { pointer: '/data/conversation_id', message: 'must be string' },
      { pointer: '/header/webhook-timestamp', message: 'must match pattern "^[0-9]+$"' },
    ]);
  });

  it('refuses a number out of the range of a double anywhere in the body, beside what the schema says of it', async () => {
    const validate = await loadRequestValidator(await dereferenceContract(loadContract()), 'receiveAdaWebhook');
    const body: unknown = JSON.parse('{"type": "v2.bot.rated", "timestamp": 1e400, "data": {"~scores": [0, -1e999, 1.5e308]}}');
    const outOfRange = 'is a number out of the range of a double (1.7976931348623157e+308 either way), which would be read as';
    expect(validate({ headers: {}, body })).to.deep.equal([
      { pointer: '/timestamp', message: 'must be string' },
      { pointer: '/timestamp', message: `${outOfRange} Infinity` },
      { pointer: '/data/~0scores/1', message: `${outOfRange} -Infinity` },
    ]);
    const deep = JSON.parse(`{"type": "v2.bot.rated", "data": {"deep": ${'['.repeat(10_000)}1e400${']'.repeat(10_000)}}}`) as unknown;
    expect(validate({ headers: {}, body: deep })).to.deep.equal([
      { pointer: `/data/deep${'/0'.repeat(10_000)}`, message: `${outOfRange} Infinity` },
    ]);
  });

  it(`reports the first ${maxViolationsReported} violations of a body, of its schema and its numbers alike, and counts the rest`, async () => {
    const validate = await loadRequestValidator(await dereferenceContract(loadContract()), 'receiveAdaWebhook');
    const outOfRange = 'is a number out of the range of a double (1.7976931348623157e+308 either way), which would be read as Infinity';
    const numbers = (count: number, text: string) => `[${Array<string>(count).fill(text).join(',')}]`;
    const many: unknown = JSON.parse(`{"type": "v1.example.rated", "data": {"x": ${numbers(140_000, '1e400')}}}`);
    const violations = validate({ headers: {}, body: many });
    expect(violations).to.have.length(maxViolationsReported + 1);
    expect(violations[0]).to.deep.equal({ pointer: '/data/x/0', message: outOfRange });
    expect(violations[maxViolationsReported - 1]).to.deep.equal({ pointer: `/data/x/${maxViolationsReported - 1}`, message: outOfRange });
    expect(violations.at(-1)).to.deep.equal({ pointer: '', message: `and ${140_000 - maxViolationsReported} more violations, not kept` });

    const both: unknown = JSON.parse(
      `{"type": "v1.example.rated", "data": {}, "tags": ${numbers(600, '1')}, "x": ${numbers(600, '1e400')}}`,
    );
    const reported = validate({ headers: {}, body: both });
    expect(reported.slice(599, 601)).to.deep.equal([
      { pointer: '/tags/599', message: 'must be string' },
      { pointer: '/x/0', message: outOfRange },
    ]);
    expect(reported.at(-1)).to.deep.equal({ pointer: '', message: `and ${1200 - maxViolationsReported} more violations, not kept` });
  });
});
