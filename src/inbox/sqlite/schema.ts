// The SQLite inbox's schema: the versions of migrations/, applied in order at start-up;
// `PRAGMA user_version` records how many have run.
import type { DatabaseSync } from 'node:sqlite';
import { migrationsAfter, readMigrations } from '../migrations.ts';
import { transaction } from './database.ts';

/** The schema versions, frozen: see migrations.ts before adding one. */
const migrationsDirectory = new URL('./migrations/', import.meta.url);

/** Brings the schema up to date. */
export function migrate(db: DatabaseSync): void {
  // Each step reads the version inside its own write transaction, so that two processes
  // opening the same file at once (receiver and inbox command) never apply a step twice.
  const migrations = readMigrations(migrationsDirectory);
  for (;;) {
    const applied = transaction(db, () => {
      const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      const [next] = migrationsAfter(version, migrations);
      if (next === undefined) return false;
      db.exec(next);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      return true;
    });
    if (!applied) return;
  }
}
