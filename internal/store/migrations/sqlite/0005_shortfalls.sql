-- Shortfalls (短板): a failed exit rule opens one item per household and
-- rule, worked open → in_progress (a measure is planned) → resolved (the
-- rule passes again, or the resolver reports with evidence) → verified by
-- someone other than the resolver, or reopened.
CREATE TABLE shortfalls (
    id               INTEGER PRIMARY KEY,
    county           TEXT NOT NULL,
    household_id     INTEGER NOT NULL REFERENCES households(id),
    village_code     TEXT NOT NULL,
    ruleset_code     TEXT NOT NULL,
    rule_code        TEXT NOT NULL,
    indicator        TEXT NOT NULL,
    status           TEXT NOT NULL,
    opened_period    TEXT NOT NULL,
    opened_at        TEXT NOT NULL,
    measure_category TEXT NOT NULL DEFAULT '',
    measure_cost     INTEGER NOT NULL DEFAULT 0,
    measure_unit     TEXT NOT NULL DEFAULT '',
    deadline         TEXT NOT NULL DEFAULT '',
    planned_by       TEXT NOT NULL DEFAULT '',
    resolution       TEXT NOT NULL DEFAULT '',
    evidence         TEXT NOT NULL DEFAULT '',
    resolved_by      TEXT NOT NULL DEFAULT '',
    resolved_at      TEXT NOT NULL DEFAULT '',
    verified_by      TEXT NOT NULL DEFAULT '',
    verified_at      TEXT NOT NULL DEFAULT '',
    reopened         INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX shortfalls_household ON shortfalls(household_id, ruleset_code, rule_code, status);
CREATE INDEX shortfalls_area ON shortfalls(village_code, status, indicator);
