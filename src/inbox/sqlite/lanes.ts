// Joining a lane, the step that intake and requeue share (the lane algorithm: inbox.ts).
import type { Prepared } from './prepared.ts';

export const laneStatements = {
  // A delivery that becomes pending heads its lane when the lane is new or its event is older
  // than the head's (a late older event goes first). A leased lane stays leased: the head in
  // flight finishes before the new head runs.
  joinLane: `INSERT INTO lanes (key, head_id, head_event_time, head_due_at, status) VALUES (:lane, :id, :eventTime, 0, 'ready')
             ON CONFLICT (key) DO UPDATE SET
               head_id = excluded.head_id, head_event_time = excluded.head_event_time, head_due_at = 0,
               status = CASE WHEN status = 'leased' THEN 'leased' ELSE 'ready' END
             WHERE (excluded.head_event_time, excluded.head_id) < (head_event_time, head_id)`,
};

export function joinLane(statements: Prepared<typeof laneStatements>, lane: string, id: string, eventTime: number): void {
  statements.joinLane.run({ lane, id, eventTime });
}
