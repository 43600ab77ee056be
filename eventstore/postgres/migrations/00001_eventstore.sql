-- +goose Up
-- The global log. position is what API clients see; (xid, position) is the
-- order subscriptions read in: see the package documentation.
CREATE TABLE events (
    position       bigserial   PRIMARY KEY,
    xid            xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream         text        NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    event_id       uuid        NOT NULL UNIQUE,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    data           json        NOT NULL, -- json, not jsonb: the bytes are hashed
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL,
    actor_id       text        NOT NULL,
    actor_role     text        NOT NULL,
    correlation_id uuid        NOT NULL,
    causation_id   uuid        NOT NULL,
    hash           bytea       NOT NULL,
    CONSTRAINT events_stream_version UNIQUE (stream, version)
);
CREATE INDEX events_xid_position ON events (xid, position);

-- Uploaded documents, stored once per content hash.
CREATE TABLE documents (
    sha256       text        PRIMARY KEY,
    content_type text        NOT NULL,
    content      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The first response of each idempotent command.
CREATE TABLE idempotency (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    response     bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE documents;
DROP TABLE events;
