-- +goose Up
-- The portal's signed-in sessions (package http/portal/sessions). id is the
-- SHA-256 of the random id in the browser's cookie, never the id itself.
CREATE TABLE portal_sessions (
    id            bytea       PRIMARY KEY CHECK (length(id) = 32),
    cf            text        NOT NULL,
    roles         text[]      NOT NULL,
    csrf          text        NOT NULL,
    flash_kind    text        NOT NULL DEFAULT '',
    flash_message text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
-- A sign-in ends the person's sessions of a withdrawn role; the sweep finds
-- the expired ones.
CREATE INDEX portal_sessions_cf ON portal_sessions (cf);
CREATE INDEX portal_sessions_expires_at ON portal_sessions (expires_at);
CREATE INDEX portal_sessions_last_seen_at ON portal_sessions (last_seen_at);

-- +goose Down
DROP TABLE portal_sessions;
