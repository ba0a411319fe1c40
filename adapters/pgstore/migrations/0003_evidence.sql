-- Evidence objects of liveness sessions (liveness.EvidenceStore): frames,
-- face crops and sealed manifests, shared by every replica.

CREATE TABLE evidence_objects (
    session_id text NOT NULL,
    name       text NOT NULL,
    data       bytea NOT NULL,
    stored_at  timestamptz NOT NULL,
    PRIMARY KEY (session_id, name)
);

CREATE INDEX evidence_objects_stored ON evidence_objects (stored_at);
