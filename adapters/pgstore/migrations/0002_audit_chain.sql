-- The audit chain (audit.Store). audit_head holds the size of the log and
-- the entry_hash of its last entry in one row; every append updates it in
-- the same statement that inserts the entry, under the row's lock, so
-- appends from any number of processes form a single chain.

CREATE TABLE audit_entries (
    seq           bigint PRIMARY KEY CHECK (seq >= 0),
    audit_id      text NOT NULL,
    session_id    text NOT NULL,
    event_type    text NOT NULL,
    ts            text NOT NULL,
    payload_hash  text NOT NULL,
    prev_hash     text NOT NULL,
    evidence_hash text NOT NULL,
    key_id        text NOT NULL,
    entry_hash    text NOT NULL,
    signature     text NOT NULL
);

CREATE INDEX audit_entries_session ON audit_entries (session_id, seq);

CREATE TABLE audit_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    size bigint NOT NULL,
    hash text NOT NULL
);

INSERT INTO audit_head (one, size, hash)
VALUES (true, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
