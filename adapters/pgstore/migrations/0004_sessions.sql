-- Liveness sessions (liveness.Store, persisted schema 2): a header per
-- session, its append-only frame log, and the outbox of intents (webhook
-- events and audit entries) committed with each change.

CREATE TABLE sessions (
    id           text PRIMARY KEY,
    version      bigint NOT NULL,
    schema       int NOT NULL,
    header       bytea NOT NULL,       -- liveness.MarshalSession, never the frames
    status       text NOT NULL,
    expires_at   timestamptz NOT NULL,
    completed_at timestamptz           -- set once the session ended
);

CREATE INDEX sessions_pending ON sessions (expires_at) WHERE status = 'pending';
CREATE INDEX sessions_ended ON sessions (completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE session_frames (
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    n          int NOT NULL,           -- 0 is the first frame
    record     bytea NOT NULL,         -- liveness.FrameRecord JSON
    PRIMARY KEY (session_id, n)
);

CREATE TABLE session_intents (
    id         text PRIMARY KEY,
    session_id text NOT NULL,          -- no foreign key: intents outlive a pruned session
    created_at timestamptz NOT NULL,
    intent     bytea NOT NULL          -- liveness.Intent JSON
);

CREATE INDEX session_intents_created ON session_intents (created_at, id);
