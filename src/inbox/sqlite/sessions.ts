// Inspector sessions that were signed out, on SQLite: a record each until the session would have
// expired anyway, so that every process on the file refuses it (see inspector/access.ts).
import type { EndedSession } from '../inbox.ts';
import type { Prepared } from './prepared.ts';

export const sessionStatements = {
  forgetExpiredSessions: `DELETE FROM ended_sessions WHERE expires_at <= ?`,
  endSession: `INSERT INTO ended_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
};

/** The sessions of a JSON list of ids that were signed out and expire after a time (milliseconds). */
export const endedSessionsQuery = `SELECT id FROM ended_sessions WHERE id IN (SELECT value FROM json_each(?)) AND expires_at > ?`;

export function endSession(statements: Prepared<typeof sessionStatements>, { id, expiresAt }: EndedSession, now: Date): void {
  statements.forgetExpiredSessions.run(now.getTime());
  statements.endSession.run(id, expiresAt.getTime());
}
