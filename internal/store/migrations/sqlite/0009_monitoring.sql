-- Monitoring cases (防止返贫动态监测): a lead from one of three channels,
-- identified step by step (household check with consent, village notice
-- of at least five days, township review, county approval within fifteen
-- days), assisted with measures, and closed by risk elimination after six
-- stable months. Every step keeps its actor, date and evidence.
CREATE TABLE monitoring_cases (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id),
    village_code TEXT NOT NULL,
    channel      TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    risks        TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    lead_date    TEXT NOT NULL,
    notice_start TEXT NOT NULL DEFAULT '',
    notice_end   TEXT NOT NULL DEFAULT '',
    approved_at  TEXT NOT NULL DEFAULT '',
    late         INTEGER NOT NULL DEFAULT 0,
    closed_at    TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX monitoring_cases_household ON monitoring_cases(household_id, status);
CREATE INDEX monitoring_cases_area ON monitoring_cases(village_code, status);

CREATE TABLE monitoring_steps (
    id        INTEGER PRIMARY KEY,
    case_id   INTEGER NOT NULL REFERENCES monitoring_cases(id),
    step      TEXT NOT NULL,
    outcome   TEXT NOT NULL DEFAULT '',
    actor     TEXT NOT NULL,
    step_date TEXT NOT NULL,
    at        TEXT NOT NULL,
    evidence  TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX monitoring_steps_case ON monitoring_steps(case_id);

CREATE TABLE monitoring_measures (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES monitoring_cases(id),
    category    TEXT NOT NULL,
    description TEXT NOT NULL,
    unit        TEXT NOT NULL,
    cost        INTEGER NOT NULL DEFAULT 0,
    start_date  TEXT NOT NULL,
    actor       TEXT NOT NULL
);
CREATE INDEX monitoring_measures_case ON monitoring_measures(case_id);

-- A visit finds the visitor's cadre record by username.
CREATE INDEX cadres_username ON cadres(username);
