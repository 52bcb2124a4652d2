// What both backends' migration runners share: their migrations, frozen as numbered SQL files
// (sqlite/migrations/, postgres/migrations/), which of those are still to apply, and the refusal
// to open an inbox that a newer ada-webhooks has migrated further.
//
// A migration that has shipped is never edited: a database that ran it keeps what it made, so an
// edit would change fresh databases and leave existing ones behind. Any change to a schema (a
// table, an index, a function of the database) is a new migration, the next numbered file.
// test/inbox/migration-digests.test.ts holds every file to the digest committed beside it.
import { readFileSync, readdirSync } from 'node:fs';

/** The SQL files of `directory`, `0001-what.sql` onwards, in order; throws when a number is missing or out of place. */
export function readMigrations(directory: URL): string[] {
  const names = readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  for (const [index, name] of names.entries()) {
    const number = String(index + 1).padStart(4, '0');
    if (!name.startsWith(`${number}-`)) throw new Error(`The migrations in ${directory.pathname} skip ${number}: found ${name}.`);
  }
  return names.map((name) => readFileSync(new URL(name, directory), 'utf8'));
}

/** The migrations after `version`, in order; throws when the inbox is newer than these migrations know. */
export function migrationsAfter<Migration>(version: number, migrations: readonly Migration[]): readonly Migration[] {
  if (version > migrations.length) {
    throw new Error(`The inbox has schema version ${version}; this version of ada-webhooks knows ${migrations.length}.`);
  }
  return migrations.slice(version);
}
