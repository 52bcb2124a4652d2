// A receiver replica whose handlers write to a table of the user's, for the crash tests of
// transactional handlers. In EFFECTS_SCHEMA: effects (written by the transactional handler of
// v1.conversation.message, inside its delivery's transaction) and plain_effects (written by the
// plain handler of v1.conversation.created, in a transaction of its own, as most handlers do).
// Each handler then waits HANDLER_WORK_MS, as one that calls an API after its write. It logs
// `inserted` with its delivery and its connection's backend pid once its row is written; with
// PAUSE_AFTER_INSERT it then waits for ever (until the test kills or stops the process); with
// FAIL_FIRST_ATTEMPT the transactional handler's first attempt throws after its insert.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { runService } from '../../../src/service/run.ts';

const schema = process.env['EFFECTS_SCHEMA']!;
const workMs = Number(process.env['HANDLER_WORK_MS'] ?? 0);
const pause = process.env['PAUSE_AFTER_INSERT'] === 'true';
const failFirstAttempt = process.env['FAIL_FIRST_ATTEMPT'] === 'true';
const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 4 });

await runService((handlers) => {
  handlers
    .on(
      'v1.conversation.message',
      async (_event, { transaction, deliveryId, attempt, log }) => {
        const { rows } = await transaction.query<{ pid: number }>(
          `INSERT INTO ${schema}.effects (delivery_id, attempt) VALUES ($1, $2) RETURNING pg_backend_pid() AS pid`,
          [deliveryId, attempt],
        );
        log.info({ backendPid: rows[0]!.pid }, 'inserted');
        if (pause) await new Promise(() => {});
        if (failFirstAttempt && attempt === 1) throw new Error('the first attempt fails after its insert');
        await sleep(workMs);
      },
      { transactional: true },
    )
    .on('v1.conversation.created', async (_event, { deliveryId, attempt, log }) => {
      await pool.query(`INSERT INTO ${schema}.plain_effects (delivery_id, attempt) VALUES ($1, $2)`, [deliveryId, attempt]);
      log.info('inserted');
      await sleep(workMs);
    });
});
