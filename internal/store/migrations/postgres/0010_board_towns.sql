-- The 清零 board's counts summed by township, kept with the village
-- counts in the same transaction, so a county's board reads one row per
-- township, indicator and status however many households it has.
CREATE TABLE board_town_counts (
    area_code TEXT COLLATE "C" NOT NULL,
    indicator TEXT COLLATE "C" NOT NULL,
    status    TEXT COLLATE "C" NOT NULL,
    county    TEXT COLLATE "C" NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (area_code, indicator, status)
);
INSERT INTO board_town_counts (area_code, indicator, status, county, n)
    SELECT substr(village_code, 1, 9), indicator, status, county, SUM(n) FROM board_counts
    GROUP BY substr(village_code, 1, 9), indicator, status, county;
