-- Accountability cases (追责问责): opened by a rule (two months of missed
-- visits, a "no problem" contradicted by verification, an item overdue by
-- thirty days) or by hand; investigated; decided with evidence. A rule
-- opens at most one case per cadre and month.
CREATE TABLE accountability_cases (
    id          INTEGER PRIMARY KEY,
    county      TEXT NOT NULL,
    cadre_id    INTEGER NOT NULL REFERENCES cadres(id),
    area        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    period      TEXT NOT NULL,
    basis       TEXT NOT NULL,
    status      TEXT NOT NULL,
    findings    TEXT NOT NULL DEFAULT '',
    decision    TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL DEFAULT '',
    opened_by   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX accountability_rule ON accountability_cases(cadre_id, rule, period) WHERE rule <> 'manual';
CREATE INDEX accountability_area ON accountability_cases(area, status);

-- Tolerance requests (容错纠错) on a case: the facts, which of the three
-- distinctions (三个区分开来) is claimed, the deciding body, the outcome,
-- and a correction plan tracked to completion.
CREATE TABLE tolerance_requests (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES accountability_cases(id),
    facts           TEXT NOT NULL,
    distinction     TEXT NOT NULL,
    deciding_body   TEXT NOT NULL,
    status          TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT '',
    correction_plan TEXT NOT NULL DEFAULT '',
    corrected_at    TEXT NOT NULL DEFAULT '',
    filed_by        TEXT NOT NULL,
    filed_at        TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tolerance_case ON tolerance_requests(case_id);
