// The SQLite inbox on a disk that really fills up (a small tmpfs): 503 with Retry-After and
// nothing acknowledged falsely, readiness unavailable while writes fail, one error line per
// failed delivery, and recovery without a restart once there is space again.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountSmallDisk, type SmallDisk } from '../soak/faults/full-disk.ts';
import { sqliteInDirectory } from '../support/inbox-backends.ts';
import { contractExample, deliver, startReceiver, type Answer, type TestReceiver } from '../support/receiver.ts';

describe('the SQLite inbox on a full disk', function () {
  this.timeout(60_000);
  let directory: string | undefined;
  let disk: SmallDisk;
  let receiver: TestReceiver;

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), 'ada-small-disk-'));
    const mounted = await mountSmallDisk(directory, 8 * 1024 * 1024);
    if ('skipped' in mounted) {
      console.warn(`    (skipped: ${mounted.skipped})`);
      this.skip();
    }
    disk = mounted;
    receiver = await startReceiver({ backend: sqliteInDirectory(directory) });
  });
  after(async () => {
    try {
      await receiver?.close();
    } finally {
      await disk?.unmount();
      if (directory) rmSync(directory, { recursive: true, force: true });
    }
  });

  const readiness = async () => {
    const response = await fetch(`${receiver.url}/readyz`);
    return { status: response.status, body: await response.json() };
  };

  it('answers 503 while writes fail, stays unready until they work again, then recovers by itself', async () => {
    const answers: (Answer & { id: string })[] = [];
    const send = async () => {
      const answer = await deliver(receiver.url, contractExample('ConversationMessageText'));
      answers.push(answer);
      return answer;
    };
    for (let sent = 0; sent < 5; sent += 1) expect((await send()).status).to.equal(200);

    await disk.fill();
    const logged = receiver.logs.length;
    // A commit fails once SQLite needs space it cannot get; some may still fit in what is
    // allocated. Send until the failures are steady.
    let refusedInARow = 0;
    for (let sent = 0; sent < 500 && refusedInARow < 5; sent += 1) {
      const { status } = await send();
      expect(status, 'answers while the disk is full').to.be.oneOf([200, 503]);
      refusedInARow = status === 503 ? refusedInARow + 1 : 0;
    }
    expect(refusedInARow, 'steady 503s on the full disk').to.equal(5);
    expect(await readiness()).to.deep.equal({
      status: 503,
      body: { status: 'unavailable', checks: { inbox: 'unavailable', contract: 'ok' } },
    });

    const refused = answers.filter(({ status }) => status === 503);
    expect(refused.map(({ headers }) => headers.get('retry-after'))).to.deep.equal(refused.map(() => '5'));
    const lines = receiver.logs.slice(logged);
    const errorLines = lines.filter(({ level }) => (level as number) >= 50);
    expect(
      errorLines.map(({ deliveryId }) => deliveryId),
      'one error line per refused delivery',
    ).to.deep.equal(refused.map(({ id }) => id));
    for (const line of errorLines) expect(line).to.include({ outcome: 'unavailable', status: 503, storeError: 'database or disk is full' });
    expect(JSON.stringify(lines)).to.not.include('cannot rollback');

    await disk.free();
    expect(await readiness(), 'ready again, without a delivery to show it').to.deep.equal({
      status: 200,
      body: { status: 'ready', checks: { inbox: 'ok', contract: 'ok' } },
    });
    expect((await send()).status).to.equal(200);

    const acknowledged = answers.filter(({ status }) => status === 200);
    for (const { id } of acknowledged) expect((await receiver.inbox.get(id))?.state, `acknowledged ${id}`).to.equal('pending');
    for (const { id } of refused) expect(await receiver.inbox.get(id), `refused ${id}`).to.equal(undefined);
    console.log(
      `      ${answers.length} deliveries: ${acknowledged.length} acknowledged and stored, ${refused.length} refused (503) while the disk was full`,
    );
  });
});
