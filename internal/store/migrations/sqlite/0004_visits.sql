-- Visits (一月一走访): what a visit observed is applied to the household's
-- record in the same transaction; the visit keeps the observation, the
-- visitor's cadre record and the household's paired cadre at the time, so
-- coverage by the paired cadre can be counted for any month.
CREATE TABLE visits (
    id              INTEGER PRIMARY KEY,
    county          TEXT NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    village_code    TEXT NOT NULL,
    visit_date      TEXT NOT NULL,
    period          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    visitor         TEXT NOT NULL,
    cadre_id        INTEGER NOT NULL DEFAULT 0,
    paired_cadre_id INTEGER NOT NULL DEFAULT 0,
    facts           TEXT NOT NULL,
    no_problem      INTEGER NOT NULL DEFAULT 0,
    notes           TEXT NOT NULL DEFAULT '',
    lat             REAL,
    lng             REAL,
    photo           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX visits_household ON visits(household_id, visit_date);
CREATE INDEX visits_period ON visits(period, household_id);
