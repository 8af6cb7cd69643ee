-- The 清零 board's counts: shortfall items by village, indicator and
-- status, kept current in the same transaction as every change to an
-- item, so the board reads a few hundred rows instead of the items.
-- "tuopin board check" recounts them from the items.
CREATE TABLE board_counts (
    village_code TEXT NOT NULL,
    indicator    TEXT NOT NULL,
    status       TEXT NOT NULL,
    county       TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (village_code, indicator, status)
);
CREATE INDEX shortfalls_opened ON shortfalls(village_code, opened_period);
INSERT INTO board_counts (village_code, indicator, status, county, n)
    SELECT village_code, indicator, status, substr(village_code, 1, 6), COUNT(*) FROM shortfalls GROUP BY village_code, indicator, status;
