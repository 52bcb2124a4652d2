// Discard on SQLite: a quarantined delivery set aside for good, with who did it and when.
import type { Discard } from '../inbox.ts';
import type { Prepared } from './prepared.ts';

export const discardStatements = {
  discard: `UPDATE deliveries SET state = 'discarded', discarded_at = ?, discarded_by = ? WHERE id = ? AND state = 'quarantined'`,
};

/** Whether the delivery was quarantined, and is now discarded. */
export function discard(statements: Prepared<typeof discardStatements>, id: string, { at, by }: Discard): boolean {
  return Number(statements.discard.run(at.getTime(), by, id).changes) > 0;
}
