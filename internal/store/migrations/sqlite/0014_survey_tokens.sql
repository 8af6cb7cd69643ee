-- One-time links a household answers the satisfaction survey through
-- (一户一码) without signing in. Only a hash of the token is kept; a link
-- is used once.
CREATE TABLE survey_tokens (
    hash         TEXT PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    village_code TEXT NOT NULL,
    period       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    used_at      TEXT NOT NULL DEFAULT ''
);
