// What both backends' migration runners share: which of their schema versions are still to
// apply, and the refusal to open an inbox that a newer ada-webhooks has migrated further.

/** The migrations after `version`, in order; throws when the inbox is newer than these migrations know. */
export function migrationsAfter<Migration>(version: number, migrations: readonly Migration[]): readonly Migration[] {
  if (version > migrations.length) {
    throw new Error(`The inbox has schema version ${version}; this version of ada-webhooks knows ${migrations.length}.`);
  }
  return migrations.slice(version);
}
