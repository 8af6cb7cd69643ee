-- Visit coverage kept as counts, in the same transaction as the writes
-- that change them, so the board and the workbench read one row per
-- village: households by village, and households visited in a month by
-- their own paired cadre.
CREATE TABLE village_households (
    village_code TEXT COLLATE "C" PRIMARY KEY,
    county       TEXT COLLATE "C" NOT NULL,
    n            BIGINT NOT NULL
);
INSERT INTO village_households (village_code, county, n)
    SELECT village_code, substr(village_code, 1, 6), COUNT(*) FROM households GROUP BY village_code;

CREATE TABLE coverage_counts (
    period       TEXT COLLATE "C" NOT NULL,
    village_code TEXT COLLATE "C" NOT NULL,
    county       TEXT COLLATE "C" NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (period, village_code)
);
INSERT INTO coverage_counts (period, village_code, county, n)
    SELECT period, village_code, substr(village_code, 1, 6), COUNT(DISTINCT household_id) FROM visits
    WHERE cadre_id <> 0 AND cadre_id = paired_cadre_id GROUP BY period, village_code;

-- Overdue items are found by deadline; most items have none yet.
CREATE INDEX shortfalls_deadline ON shortfalls(deadline);
