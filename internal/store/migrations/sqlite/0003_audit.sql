-- The change history becomes one hash-chained audit log (审计日志): every
-- entry carries its position (seq, from 1 without gaps), the hash of the
-- entry before it and its own hash, and audit_head records the last seq
-- and hash so entries cut off the end are noticed too. Rows written
-- before this migration are chained by the program right after it.
ALTER TABLE changes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE changes ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX changes_seq ON changes(seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
