-- Inspector sessions that were signed out, until they would have expired (milliseconds).

CREATE TABLE ended_sessions (
     id         TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;
