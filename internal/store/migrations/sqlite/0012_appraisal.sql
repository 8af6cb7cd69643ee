-- Scorecard formulas (绩效考核): weights per metric and the day by which a
-- visit is timely, versioned like the rule sets: a version is never
-- edited, a change is a new version.
CREATE TABLE scorecard_formulas (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    weights    TEXT NOT NULL,
    timely_day INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (code, version)
);
-- The shipped formula. Its weights follow the national scheme's spirit
-- (厅字〔2016〕6号: results of the work, precision of assistance, the
-- people's satisfaction); provinces set their own.
INSERT INTO scorecard_formulas (code, version, weights, timely_day, created_at, created_by) VALUES ('scorecard', 1,
    '{"coverage":30,"timeliness":10,"on_time":25,"reopened":10,"contradicted":15,"satisfaction":10}', 20, '2026-01-01T00:00:00Z', 'tuopin');

-- A township's or a village's visits of a month, for scorecards.
CREATE INDEX visits_area ON visits(period, village_code);
