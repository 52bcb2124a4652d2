// Joining lanes, the step that intake and requeue share (the lane algorithm: inbox.ts).

/**
 * Joins deliveries that became pending (the rows of `source`: id, lane, event_time) to their
 * lanes: a new lane is ready at once; in an existing lane a delivery becomes the head when its
 * event is older than the head's, and a leased lane stays leased, so that the head in flight
 * finishes first.
 */
export const joinLanes = (schema: string, source: string) => `
  INSERT INTO ${schema}.lanes AS lanes (key, head_id, head_event_time, head_due_at, status)
  SELECT DISTINCT ON (lane) lane, id, event_time, 0, 'ready' FROM ${source} ORDER BY lane, event_time, id
  ON CONFLICT (key) DO UPDATE SET
    head_id = excluded.head_id, head_event_time = excluded.head_event_time, head_due_at = 0,
    status = CASE WHEN lanes.status = 'leased' THEN 'leased' ELSE 'ready' END
  WHERE (excluded.head_event_time, excluded.head_id) < (lanes.head_event_time, lanes.head_id)`;
