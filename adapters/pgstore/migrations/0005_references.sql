-- Registered reference faces (liveness.ReferenceStore,
-- POST /v1/reference-images): the embedding, the model that made it, the
-- image's SHA-256, the owning tenant and the registration time. The image
-- itself is never stored.

CREATE TABLE reference_faces (
    id         text PRIMARY KEY,
    record     jsonb NOT NULL,      -- versioned record: {"v":1, sha256, model, embedding, ...}
    owner      text NOT NULL DEFAULT '',
    created_at timestamptz
);

CREATE INDEX reference_faces_owner ON reference_faces (owner, created_at);
