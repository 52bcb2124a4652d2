// The dispatcher over a real inbox, on every backend, fed through the real receiver over HTTP.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { HandlerRegistry, type HandlingContext } from '../../src/dispatch/handler-registry.ts';
import type { Receiver } from '../../src/receiver.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/process.ts';
import { inboxBackends } from '../support/inbox-backends.ts';
import { contractExample, deliver, messageEvent, startReceiver, type TestReceiver, type TestReceiverOptions } from '../support/receiver.ts';

for (const backend of inboxBackends)
  describe(`the dispatcher (${backend.name})`, () => {
    let receiver: TestReceiver;
    /** A receiver with these dispatcher settings; its handlers are registered on what this returns, then started. */
    const startWith = async (options: TestReceiverOptions = {}): Promise<Receiver> => {
      receiver = await startReceiver({ backend, ...options });
      return receiver.receiver;
    };
    afterEach(() => receiver.close());

    const stateOf = async (id: string) => (await receiver.inbox.get(id))?.state;
    const settledState = async (id: string) => {
      await eventually(async () => ['done', 'dead'].includes((await stateOf(id)) ?? ''));
      return receiver.inbox.get(id);
    };

    it('runs the typed handler with the delivery context, then marks the delivery done', async () => {
      const seen: { conversationId?: string; context: HandlingContext }[] = [];
      (await startWith())
        .on('v1.conversation.ended', (event, context) => {
          seen.push({ conversationId: event.data.conversation_id, context });
        })
        .start();
      const ended = contractExample('ConversationEndedByEndUser');
      const { id } = await deliver(receiver.url, ended);

      expect(await settledState(id)).to.deep.include({ state: 'done', attempts: 1, lastError: null });
      expect(seen).to.have.length(1);
      expect(seen[0]!.conversationId).to.equal(ended['data'].conversation_id);
      expect(seen[0]!.context).to.include({ deliveryId: id, attempt: 1 });
      expect(seen[0]!.context.receivedAt).to.be.instanceOf(Date);
    });

    it('retries a handler that throws twice, then marks it done after the third attempt', async () => {
      const attempts: number[] = [];
      (await startWith({ maxAttempts: 5 }))
        .on('v1.conversation.created', (_event, { attempt }) => {
          attempts.push(attempt);
          if (attempt < 3) throw new Error(`flaky ${attempt}`);
        })
        .start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));

      expect(await settledState(id)).to.deep.include({ state: 'done', attempts: 3, lastError: null });
      expect(attempts).to.deep.equal([1, 2, 3]);
      // The row reads done as soon as the writer thread commits; the dispatcher counts the outcome
      // once the commit's answer reaches this thread, a moment later.
      const handledTotal = async () => (await receiver.receiver.metrics()).text;
      await eventually(async () => (await handledTotal()).includes('outcome="done"'));
      const metrics = await handledTotal();
      expect(metrics).to.include('ada_webhook_handled_total{outcome="retry",event_type="v1.conversation.created"} 2');
      expect(metrics).to.include('ada_webhook_handled_total{outcome="done",event_type="v1.conversation.created"} 1');
    });

    it('marks a handler that always throws dead after the configured attempts, keeping the error', async () => {
      let calls = 0;
      (await startWith({ maxAttempts: 4 }))
        .on('v1.conversation.created', () => {
          calls += 1;
          throw new TypeError(`broken ${calls}`);
        })
        .start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));

      const dead = await settledState(id);
      expect(dead).to.deep.include({ state: 'dead', attempts: 4 });
      expect(dead!.lastError!.split('\n')[0]).to.equal('TypeError: broken 4');
      // A claim after the dead one's settlement: had it stayed claimable, that claim would have taken it.
      const later = await deliver(receiver.url, contractExample('EndUserCreated'));
      expect((await settledState(later.id))?.state).to.equal('done');
      expect(calls).to.equal(4);
    });

    it('keeps its slots when handlers throw before their first await, and goes on handling after they are dead', async () => {
      (await startWith({ concurrency: 2, maxAttempts: 2 }))
        .on('v1.conversation.created', () => {
          throw new Error('thrown at once');
        })
        .on('v1.end_user.created', () => {})
        .start();
      const failing = await Promise.all(
        [1, 2, 3].map(async (n) => {
          const event = contractExample('ConversationCreated');
          event['data'].conversation_id = `thrown-at-once-${n}`;
          return (await deliver(receiver.url, event)).id;
        }),
      );
      for (const id of failing) expect(await settledState(id), id).to.deep.include({ state: 'dead', attempts: 2 });
      const after = await deliver(receiver.url, contractExample('EndUserCreated'));
      expect((await settledState(after.id))?.state).to.equal('done');
    });

    it('keeps the cause and the stack of a failure, bounded, and logs a dead delivery at error level', async () => {
      const closedPort = await freePort(); // nothing listens there: TypeError: fetch failed, caused by ECONNREFUSED
      (await startWith({ maxAttempts: 2 }))
        .on('v1.conversation.created', async () => {
          await fetch(`http://127.0.0.1:${closedPort}/`);
        })
        .start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));

      const { lastError } = (await settledState(id))!;
      expect(lastError!.split('\n')[0]).to.equal('TypeError: fetch failed');
      expect(lastError).to.include(`\nCaused by: Error: connect ECONNREFUSED 127.0.0.1:${closedPort}\n    at `);
      expect(lastError!.length).to.be.at.most(4096);
      // The dispatcher logs once its settlement has returned, which may be after another connection sees it.
      await eventually(() => receiver.logs.some(({ deliveryId, level }) => deliveryId === id && level === 50));
      const failures = receiver.logs
        .filter(({ deliveryId, msg }) => deliveryId === id && msg !== 'delivery')
        .map(({ level, msg }) => ({ level, msg }));
      expect(failures).to.deep.equal([
        { level: 40, msg: 'handler failed' },
        { level: 50, msg: 'handler failed for the last time: the delivery is dead' },
      ]);
    });

    it('fails an attempt that exceeds the timeout and aborts its signal', async () => {
      let signal: AbortSignal | undefined;
      (await startWith({ handlerTimeoutSeconds: 1, maxAttempts: 1 }))
        .on('v1.conversation.created', (_event, context) => {
          signal = context.signal;
          return new Promise(() => {}); // never settles
        })
        .start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));

      const dead = await settledState(id);
      expect(dead).to.deep.include({ state: 'dead' });
      expect(dead!.lastError!.split('\n')[0]).to.equal('TimeoutError: the handler took longer than 1000 ms');
      expect(signal?.aborted).to.equal(true);
    });

    it('passes event types the contract does not know to the fallback, and settles events without a handler', async () => {
      const unknownTypes: string[] = [];
      (await startWith())
        .onUnknown((event) => {
          unknownTypes.push(event.type);
        })
        .start();
      const unknown = await deliver(receiver.url, contractExample('UnknownEvent'));
      const unhandled = await deliver(receiver.url, contractExample('AuditLogEmitted'));

      expect((await settledState(unknown.id))?.state).to.equal('done');
      expect((await settledState(unhandled.id))?.state).to.equal('done');
      expect(unknownTypes).to.deep.equal(['v0.example.unknown_event']);
    });

    it('handles the events of one conversation one at a time in timestamp order, others in parallel', async function () {
      this.timeout(20_000);
      const conversationEvent = (conversationId: string, second: number) => {
        const event = contractExample('ConversationMessageText');
        event['data'].conversation_id = conversationId;
        event['data'].message_id = `${conversationId}-${second}`;
        event['timestamp'] = `2026-11-24T09:00:${String(second).padStart(2, '0')}.000+00:00`;
        return event;
      };
      const seconds = Array.from({ length: 30 }, (_, second) => second);
      const shuffled = [...seconds].sort(() => Math.random() - 0.5);
      const dispatching = await startWith({ concurrency: 4 });
      // Posted in shuffled order while no dispatcher runs: all 40 are waiting when it starts.
      for (const second of shuffled) await deliver(receiver.url, conversationEvent('conversation-a', second));
      for (const second of seconds.slice(0, 10)) await deliver(receiver.url, conversationEvent('conversation-b', second));

      const order: Record<string, number[]> = { 'conversation-a': [], 'conversation-b': [] };
      const running: Record<string, number> = { 'conversation-a': 0, 'conversation-b': 0 };
      let mostAtOnceInOneConversation = 0;
      let overlapsAcrossConversations = 0;
      dispatching
        .on('v1.conversation.message', async ({ data, timestamp }) => {
          const conversation = data.conversation_id!;
          running[conversation]! += 1;
          mostAtOnceInOneConversation = Math.max(mostAtOnceInOneConversation, running[conversation]!);
          if (Object.values(running).every((count) => count > 0)) overlapsAcrossConversations += 1;
          order[conversation]!.push(Number(timestamp.slice(17, 19)));
          await sleep(10);
          running[conversation]! -= 1;
        })
        .start();
      await eventually(() => order['conversation-a']!.length === 30 && order['conversation-b']!.length === 10, 15_000);

      expect(order['conversation-a']).to.deep.equal(seconds);
      expect(order['conversation-b']).to.deep.equal(seconds.slice(0, 10));
      expect(mostAtOnceInOneConversation).to.equal(1);
      expect(overlapsAcrossConversations).to.be.greaterThan(0);
    });

    it('holds a conversation back while its oldest event waits for a retry', async () => {
      const handled: string[] = [];
      let firstAttempt = true;
      const dispatching = (await startWith({ retryBaseMs: 100 })).on('v1.conversation.message', ({ data }) => {
        if (data.message_id === 'first' && firstAttempt) {
          firstAttempt = false;
          throw new Error('not yet');
        }
        handled.push(data.message_id!);
      });
      const first = contractExample('ConversationMessageText');
      first['data'].message_id = 'first';
      const second = contractExample('ConversationMessageText');
      second['data'].message_id = 'second';
      second['timestamp'] = '2026-11-24T09:15:10.000+00:00';
      await deliver(receiver.url, first);
      await deliver(receiver.url, second);

      dispatching.start();
      await eventually(() => handled.length === 2);
      expect(handled).to.deep.equal(['first', 'second']);
    });

    it('gives unfinished deliveries back when it stops, without counting the attempt', async () => {
      (await startWith({ handlerTimeoutSeconds: 60 })).on('v1.conversation.created', () => new Promise(() => {})).start();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      await eventually(async () => (await receiver.inbox.get(id))?.attempts === 1);

      await receiver.receiver.stop({ graceMs: 20 });
      expect(await receiver.inbox.get(id)).to.deep.include({ state: 'pending', attempts: 0 });
      const [claimed] = await receiver.inbox.claim({ owner: 'another worker', limit: 1, leaseMs: 1000 });
      expect(claimed?.id, 'the lease was released').to.equal(id);
    });

    it("settles an erased end user's pending delivery dead, running nothing, and goes on with the others", async () => {
      const handled: string[] = [];
      const app = await startWith();
      app.on('v1.conversation.message', (event) => void handled.push(String(event.data.end_user_id)));
      const erased = messageEvent('conversation-of-ana', 1);
      erased['data'].end_user_id = 'ana';
      const kept = messageEvent('conversation-of-bo', 2);
      kept['data'].end_user_id = 'bo';
      const [{ id: erasedId }, { id: keptId }] = [await deliver(receiver.url, erased), await deliver(receiver.url, kept)];
      const at = new Date();
      expect(await app.inbox.erase('ana', at)).to.equal(1);
      app.start();

      expect(await settledState(keptId)).to.deep.include({ state: 'done' });
      expect(await settledState(erasedId)).to.deep.include({
        state: 'dead',
        attempts: 1,
        lastError: null,
        erasedAt: at,
      });
      expect(handled).to.deep.equal(['bo']);
      await eventually(() => receiver.logs.some(({ deliveryId, level }) => deliveryId === erasedId && level === 50));
      const line = receiver.logs.find(({ deliveryId, level }) => deliveryId === erasedId && level === 50);
      expect(line).to.deep.include({
        msg: 'the delivery is dead: its content cannot be read',
        outcome: 'dead',
        error: `its content cannot be read: its end user's data was erased at ${at.toISOString()}`,
      });
    });

    it("shows an app the inbox's reads and operations, and none of its claims, settlements or leases", async () => {
      const { inbox } = await startWith();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      expect(await inbox.get(id)).to.deep.include({ id, state: 'pending' });
      expect((await inbox.list({ limit: 10 })).map((delivery) => delivery.id)).to.deep.equal([id]);
      expect(await inbox.countByState()).to.deep.include({ pending: 1 });
      expect(Object.keys(inbox).sort()).to.deep.equal([
        'count',
        'countByState',
        'countErased',
        'discard',
        'drift',
        'erase',
        'failedAttempts',
        'get',
        'lane',
        'laneQueue',
        'list',
        'oldestPending',
        'oldestUnforwarded',
        'purge',
        'requeue',
        'updateViolations',
      ]);
      expect((inbox as unknown as Record<string, unknown>)['claim']).to.equal(undefined);
      expect((inbox as unknown as Record<string, unknown>)['dataKeyOf']).to.equal(undefined);
    });

    it('refuses from an app what its types refuse: a purge of pending deliveries, a page that is no positive integer, a state or time that is none', async () => {
      const { inbox } = await startWith();
      const { id } = await deliver(receiver.url, contractExample('ConversationCreated'));
      expect(await inbox.get(id)).to.deep.include({ state: 'pending' });
      const untyped = inbox as unknown as Record<string, (argument: unknown) => Promise<unknown>>;
      const refusal = async (call: Promise<unknown>) =>
        call.then(
          () => 'not refused',
          (error: Error) => error.message,
        );
      const later = new Date(Date.now() + 60_000);
      expect(await refusal(untyped['purge']!({ state: 'pending', receivedBefore: later, limit: 10 }))).to.equal(
        'inbox.purge: state must be one of done, dead, quarantined, discarded, got "pending".',
      );
      expect(await refusal(untyped['purge']!({ state: 'done', receivedBefore: later, limit: -1 }))).to.contain(
        'limit must be a positive integer',
      );
      expect(await refusal(untyped['list']!({ limit: -1 }))).to.contain('inbox.list: limit must be a positive integer, got -1.');
      expect(await refusal(untyped['list']!({ limit: 2.5 }))).to.contain('limit must be a positive integer, got 2.5.');
      expect(await refusal(untyped['list']!({ state: 'done' }))).to.contain('limit must be a positive integer, got undefined.');
      expect(await refusal(untyped['list']!({ limit: 5, since: 'yesterday' }))).to.contain(
        'inbox.list: since must be a Date, got yesterday.',
      );
      expect(await refusal(untyped['count']!({ state: 'finished' }))).to.contain('inbox.count: state must be one of');
      expect(await refusal(untyped['count']!({ limit: 1 }))).to.contain('limit is not an option of inbox.count');
      expect(await inbox.get(id)).to.deep.include({ state: 'pending' });
    });
  });

describe('the handler registry', () => {
  it('refuses a second handler for the same event type', () => {
    const handlers = new HandlerRegistry().on('v1.conversation.created', () => {});
    expect(() => handlers.on('v1.conversation.created', () => {})).to.throw('A handler for v1.conversation.created is already registered');
  });

  it('refuses an event type the contract does not know', () => {
    expect(() => new HandlerRegistry().on('v0.example.unknown_event' as never, () => {})).to.throw(
      '"v0.example.unknown_event" is not an event type of the contract',
    );
  });

  it('names the closest event type of the contract for a misspelt one', () => {
    const known = contractExample('ConversationEndedByEndUser')['type'] as string;
    const misspelt = `${known.slice(0, -2)}${known.at(-1)}`;
    expect(() => new HandlerRegistry().on(misspelt as never, () => {})).to.throw(
      `${JSON.stringify(misspelt)} is not an event type of the contract; did you mean ${known}?`,
    );
  });

  it('refuses a second fallback', () => {
    const handlers = new HandlerRegistry().onUnknown(() => {});
    expect(() => handlers.onUnknown(() => {})).to.throw('A handler for unknown event types is already registered');
  });
});
