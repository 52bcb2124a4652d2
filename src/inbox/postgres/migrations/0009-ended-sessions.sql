-- Inspector sessions that were signed out, until they would have expired (milliseconds).

CREATE TABLE {schema}.ended_sessions (
     id         text PRIMARY KEY,
     expires_at bigint NOT NULL
   );
