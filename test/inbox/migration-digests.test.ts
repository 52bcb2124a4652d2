// Every migration of both backends, held to the digest (SHA-256 of the file) committed here when
// it was written. A migration that has shipped is never edited (src/inbox/migrations.ts): a change
// to the schema is a new file, and a new line below. A digest that no longer matches means a
// shipped migration was edited; a file without a line means one was added without its digest.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readMigrations } from '../../src/inbox/migrations.ts';

const digests = {
  sqlite: {
    '0001-deliveries.sql': '693089943f4c25c3ec8e71b7a5a518b6d86c07a09b764096ae71ffb9398e3e31',
    '0002-event-order-indexes.sql': 'e4567f11fa7b03a94aa4cb21aa64fb82fbd63b437f7cdb0a6a9d7d6b364691e3',
    '0003-lanes.sql': '3f9c8fd2d6d6c5fe4ac5966320e6a3a897f77ed4832b30e64eb9befd86a62ec0',
    '0004-payloads-apart.sql': '0b2faf37055d02040965d31a41d2b5f6e851e19d40087a876c04f6ef4929c124',
    '0005-list-indexes.sql': '73bdf9e10197acc382766223355b22fe132d2a4fd3c027220f567d614b21c875',
    '0006-failed-attempts.sql': '44f0f8772782757bbfbacfee009e8cc83a04b6f44907f59cbfd8bbb2c5cbdd4a',
    '0007-forwarded-at.sql': 'bf466cecea9a1c4da69754b995aec56c296c6503c263d6f858b18116de0e4cab',
    '0008-trace-context.sql': '60d3c87fc8f3d1847726d73031c6f9af678caa7ccd2ce9bb109d79ac96cde063',
    '0009-contract-drift.sql': '959b1a6f8508b6a02b272e30ae9584b8b5ba46c747cff7d070418b6735d3e5db',
    '0010-ended-sessions.sql': '24f98963990c67885dfcf5d27413842a8a1a00c157b505fa97a4e8b21d70764a',
    '0011-discarded.sql': 'e7194eb683c4cea20cef0094cf566ac14730141e6c96a9276f4006e126824618',
    '0012-end-users-data.sql': 'e8803620db77ad708a99d3df0ca82a727a339c3be5be40294f3f25b72727039a',
  },
  postgres: {
    '0001-deliveries-and-lanes.sql': 'a27b1665ec4b3de697caf629548350904bc77dc951ace75ff64c161da4fa717f',
    '0002-list-indexes.sql': '0a261932772bfca0436ad5af2a2d45afbc3d21710d5124ba48e6728556c241ad',
    '0003-failed-attempts.sql': '4ef4dd02d2e5510a6946a484a9c330ea4b02f4663c8522e064aa901ecab5ab44',
    '0004-forwarded-at.sql': '67ec97ebec4def19fb07698044ac29695a5457336bb9594319db2d9bbdcda4be',
    '0005-trace-context.sql': '76dae28f7d762d3f35020fc26cc701a47f076fc943825b3f483092e4f157e622',
    '0006-contract-drift.sql': '785447dc82c09d316ab266cd401f7565e4137c04c57d24a5dea14cb6305c3a7a',
    '0007-claim-and-settle.sql': '600b6651544979a7a1ee2b656c2f5df1212d4693912d354534ed2bc2079b1e93',
    '0008-intake-and-lane-join.sql': '63e6932f24d4d57f9c8c0f740539664bacf47b9bf3cb5429ff987a9bb0f5b534',
    '0009-ended-sessions.sql': 'f2b24d8c3f8b1ebca0dede687814842d11ff3c2b5fd255048e51453b14954f8c',
    '0010-discarded.sql': 'f03e1d367d9f901651a8653a9fa0e0d6a60d344266f5720dd147610ff76508fb',
    '0011-counts-that-never-wait.sql': '79922332d6475ce3fdcf01015dc09d586de36f638667375533a21beb5a101024',
    '0012-end-users-data.sql': 'c48058d91a75b7d9eb547eb68e38c5c94c247ff13319d13088c3c0f5d9de8b44',
  },
};

describe('the migrations, frozen', () => {
  for (const [backend, files] of Object.entries(digests)) {
    describe(backend, () => {
      const directory = new URL(`../../src/inbox/${backend}/migrations/`, import.meta.url);

      it('holds every migration to the digest committed beside it', () => {
        const found = Object.fromEntries(
          readdirSync(directory).map((name) => [
            name,
            createHash('sha256')
              .update(readFileSync(new URL(name, directory)))
              .digest('hex'),
          ]),
        );
        expect(found).to.deep.equal(files);
      });

      it('applies them all, in the order of their numbers', () => {
        const texts = Object.keys(files).map((name) => readFileSync(new URL(name, directory), 'utf8'));
        expect(readMigrations(directory)).to.deep.equal(texts);
      });
    });
  }
});

describe('reading migrations', () => {
  it('refuses a directory whose numbers skip one, naming the missing number', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ada-migrations-'));
    try {
      writeFileSync(join(directory, '0001-first.sql'), 'SELECT 1;');
      writeFileSync(join(directory, '0003-third.sql'), 'SELECT 3;');
      expect(() => readMigrations(pathToFileURL(`${directory}/`))).to.throw(/skip 0002: found 0003-third\.sql/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
