-- The webhook outbox (webhook.Store): endpoints, deliveries, attempt logs.
-- Identifiers use the "C" collation so that ordering by id is byte order,
-- as the Store contract requires, whatever the database's locale.

CREATE TABLE webhook_endpoints (
    id     text COLLATE "C" PRIMARY KEY,
    config json NOT NULL -- the webhook.Endpoint as JSON, secrets included
);

CREATE TABLE webhook_deliveries (
    id              text COLLATE "C" PRIMARY KEY,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    endpoint_id     text NOT NULL,
    url             text NOT NULL,
    format          text NOT NULL,
    payload         bytea NOT NULL,
    test            boolean NOT NULL DEFAULT false,
    state           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    -- When a pending delivery is due or, while claimed, the end of the
    -- lease; 0001-01-01 00:00:00+00 stands for "none".
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status     integer NOT NULL DEFAULT 0,
    last_error      bytea NOT NULL DEFAULT '',
    completed_at    timestamptz,
    claim           text NOT NULL DEFAULT ''
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    pos          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  text COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n            integer NOT NULL,
    at           timestamptz NOT NULL,
    url          text NOT NULL,
    status_code  integer NOT NULL DEFAULT 0,
    latency_ns   bigint NOT NULL DEFAULT 0,
    error        bytea NOT NULL DEFAULT '',
    response     bytea NOT NULL DEFAULT '',
    retry        timestamptz
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, pos);
