-- More of the 清零 board kept current in the same transaction as every
-- change to a shortfall item, so a board reads a bounded number of rows
-- at any county size: items opened and resolved by village and month (the
-- trend), and unresolved items by village, indicator and deadline (so the
-- overdue count is a sum over deadlines before today).
CREATE TABLE board_trend (
    village_code TEXT COLLATE "C" NOT NULL,
    period       TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    county       TEXT COLLATE "C" NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (village_code, period, kind)
);
INSERT INTO board_trend (village_code, period, kind, county, n)
    SELECT village_code, opened_period, 'opened', substr(village_code, 1, 6), COUNT(*) FROM shortfalls GROUP BY village_code, opened_period;
INSERT INTO board_trend (village_code, period, kind, county, n)
    SELECT village_code, substr(resolved_at, 1, 7), 'resolved', substr(village_code, 1, 6), COUNT(*) FROM shortfalls
    WHERE resolved_at <> '' GROUP BY village_code, substr(resolved_at, 1, 7);

CREATE TABLE board_deadlines (
    village_code TEXT COLLATE "C" NOT NULL,
    indicator    TEXT COLLATE "C" NOT NULL,
    deadline     TEXT COLLATE "C" NOT NULL,
    county       TEXT COLLATE "C" NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (village_code, indicator, deadline)
);
INSERT INTO board_deadlines (village_code, indicator, deadline, county, n)
    SELECT village_code, indicator, deadline, substr(village_code, 1, 6), COUNT(*) FROM shortfalls
    WHERE status IN ('open', 'in_progress') AND deadline <> '' GROUP BY village_code, indicator, deadline;
