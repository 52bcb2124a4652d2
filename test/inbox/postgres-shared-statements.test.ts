// How the PostgreSQL inbox carries out writes that share a statement (src/inbox/postgres/together.ts),
// on a real server: a write that the server refuses for what it holds fails alone; an error that
// every write would meet fails them all at once, without a statement per write.
import { expect } from 'chai';
import pg from 'pg';
import { carryOutTogether } from '../../src/inbox/postgres/together.ts';
import { requirePostgres, testDatabaseUrl } from '../support/postgres.ts';

describe('writes that share a statement on PostgreSQL', () => {
  let pool: pg.Pool;
  before(async () => {
    await requirePostgres();
    pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
  });
  after(() => pool.end());

  /** A statement whose result for each write (a divisor) is 100 divided by it: a 0 makes the server refuse it. */
  const division = (on: pg.Pool) => {
    const statements: number[][] = [];
    const divide = async (divisors: readonly number[]) => {
      statements.push([...divisors]);
      const { rows } = await on.query<{ quotient: number }>(
        `SELECT 100 / divisor AS quotient FROM unnest($1::int[]) WITH ORDINALITY AS given (divisor, position) ORDER BY position`,
        [divisors],
      );
      return rows.map(({ quotient }) => quotient);
    };
    return { divide, statements };
  };
  const outcomes = (results: PromiseSettledResult<number>[]) =>
    results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as { code: string }).code));

  it('carries them out in one statement', async () => {
    const { divide, statements } = division(pool);
    expect(outcomes(await carryOutTogether([2, 4, 5], divide))).to.deep.equal([50, 25, 20]);
    expect(statements).to.deep.equal([[2, 4, 5]]);
  });

  it('fails only the write that the server refuses for what it holds, and carries out the others alone', async () => {
    const { divide, statements } = division(pool);
    // 22012: division_by_zero, a data exception.
    expect(outcomes(await carryOutTogether([2, 0, 4], divide))).to.deep.equal([50, '22012', 25]);
    expect(statements).to.deep.equal([[2, 0, 4], [2], [0], [4]]);
  });

  it('fails every write at once when the server cannot be reached', async () => {
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const { divide, statements } = division(unreachable);
      expect(outcomes(await carryOutTogether([2, 0, 4], divide))).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      expect(statements).to.deep.equal([[2, 0, 4]]);
    } finally {
      await unreachable.end();
    }
  });
});
