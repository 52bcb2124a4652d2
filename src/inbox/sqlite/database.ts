// Opening the SQLite file and running transactions: shared by the inbox's reading connection and
// its writer thread.
import { DatabaseSync } from 'node:sqlite';

export function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  // WAL lets readers (the inbox command, readiness) work beside the writer. synchronous=FULL
  // makes every commit fsync the WAL before it returns, so an acknowledged delivery survives a
  // power loss, not only a crash of this process. A 32 MB page cache (the default is 2 MB) keeps
  // the indexes that the dispatcher reads by delivery id in memory on a large inbox, which
  // otherwise reads them from the OS's cache at every claim and settlement. secure_delete
  // overwrites what a write removes (an erased end user's payloads, a destroyed data key, a purged
  // delivery) with zeros, rather than leaving it in the file's free space.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -32000; PRAGMA secure_delete = ON;');
  return db;
}

/** Runs `work` in one write transaction: one commit, one fsync. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // SQLite rolls back by itself when a commit fails for want of space or on an I/O error;
    // a ROLLBACK then would fail too, and its error would hide the real one.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** SQLite's primary result codes of a refusal for what a statement holds: a value too big (SQLITE_TOOBIG), a constraint (a trigger's RAISE(ABORT) among them), a type mismatch. */
const refusalCodes = new Set([18, 19, 20]);

/** Whether SQLite refused a statement for what it holds, rather than failing to carry it out (a full disk, a lock, an I/O error). */
export function refusedForWhatItHolds(error: unknown): boolean {
  const { errcode } = error as { errcode?: unknown };
  return typeof errcode === 'number' && refusalCodes.has(errcode & 0xff);
}
