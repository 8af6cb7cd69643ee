-- Re-verification (抽查): each month a reproducible sample of households,
-- stratified by village, is checked by someone other than the paired
-- cadre. Every field where the cadre's last visit and the check disagree
-- is kept, and a "no problem" the check contradicts is flagged against
-- the cadre.
CREATE TABLE verification_samples (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    period       TEXT NOT NULL,
    village_code TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id),
    seed         INTEGER NOT NULL,
    drawn_by     TEXT NOT NULL,
    drawn_at     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    verifier     TEXT NOT NULL DEFAULT '',
    done_at      TEXT NOT NULL DEFAULT '',
    wrong        INTEGER NOT NULL DEFAULT 0,
    contradicted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (period, household_id)
);
CREATE INDEX verification_samples_area ON verification_samples(period, village_code);

CREATE TABLE verification_diffs (
    sample_id      INTEGER NOT NULL REFERENCES verification_samples(id),
    field          TEXT NOT NULL,
    cadre_value    TEXT NOT NULL,
    verifier_value TEXT NOT NULL
);
CREATE INDEX verification_diffs_sample ON verification_diffs(sample_id);

CREATE TABLE cadre_flags (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    cadre_id     INTEGER NOT NULL,
    period       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    sample_id    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);
CREATE INDEX cadre_flags_cadre ON cadre_flags(cadre_id, period);
