// The soak's short form: the service as users run it (its inbox encrypted), on SQLite and
// forwarding to NATS, under seeded traffic and faults (a SIGKILL and restart, the broker cut off,
// the NATS server killed, a full disk where the machine allows it), checked against every invariant. One fixed seed, and
// one new seed each run, printed: `npm run soak -- --seed N --minutes 0.35` replays it, and the
// long form is `npm run soak` (docs/soak.md).
import { expect } from 'chai';
import { newSeed, type SoakOptions } from './options.ts';
import { faultKindsOf, planSoak } from './plan.ts';
import { runSoak } from './soak.ts';

const shortForm = { minutes: 0.35, backend: 'sqlite', forward: 'nats' } as const satisfies Omit<SoakOptions, 'seed'>;
const fixedSeed = 20261208;

describe('the soak, short form (SQLite, NATS)', function () {
  this.timeout(240_000);

  it('draws the same traffic and faults from the same seed, and other ones from another', () => {
    const first = planSoak({ ...shortForm, seed: fixedSeed });
    expect(planSoak({ ...shortForm, seed: fixedSeed })).to.deep.equal(first);
    expect(planSoak({ ...shortForm, seed: fixedSeed + 1 }).digest).to.not.equal(first.digest);
    expect(new Set(first.faults.map((fault) => fault.kind))).to.have.all.keys(faultKindsOf(shortForm));
    expect(first.idleGaps).to.have.length.above(0);
  });

  for (const [label, seed] of [
    ['a fixed seed', fixedSeed],
    ['a new seed', Number(process.env['SOAK_SEED'] ?? newSeed())],
  ] as const) {
    it(`keeps every promise under traffic and faults, with ${label} (${seed})`, async () => {
      const { passed, report, results } = await runSoak({ ...shortForm, seed }, () => {});
      if (!passed) console.log(report);
      expect(results.filter((result) => result.violations.length > 0).map((result) => result.name)).to.deep.equal([]);
      expect(passed).to.equal(true);
    });
  }
});
