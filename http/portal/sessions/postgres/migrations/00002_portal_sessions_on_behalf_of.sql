-- +goose Up
-- The person a delegate has chosen to act for with the portal's person
-- switch (SPEC §9); '' when they act for themselves. The delegation is
-- checked on every request, not here.
ALTER TABLE portal_sessions ADD COLUMN on_behalf_of text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE portal_sessions DROP COLUMN on_behalf_of;
