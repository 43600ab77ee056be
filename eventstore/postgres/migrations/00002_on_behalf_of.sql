-- +goose Up
-- The person a delegate acted for (SPEC §9, delegations): '' when the actor
-- acted for themselves. A column beside actor_id and actor_role, as they are,
-- rather than a metadata document: the audit reads it back into the
-- envelope's actor, and the hash chain covers it there.
ALTER TABLE events ADD COLUMN on_behalf_of text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN on_behalf_of;
