-- One-time links a household answers the satisfaction survey through
-- (一户一码) without signing in. Only a hash of the token is kept; a link
-- is used once.
CREATE TABLE survey_tokens (
    hash         TEXT COLLATE "C" PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households(id),
    village_code TEXT COLLATE "C" NOT NULL,
    period       TEXT COLLATE "C" NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    used_at      TEXT NOT NULL DEFAULT ''
);
