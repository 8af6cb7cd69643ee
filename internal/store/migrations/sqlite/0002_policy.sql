-- Policy as data and the monthly assessment (一月一研判): rule sets of CEL
-- expressions with versions, parameter tables, fact snapshots and
-- findings, verification samples and surveys for the exit roll-up, and
-- village populations for incidence. Also the registry fields the MPI and
-- the monitoring rules read.

ALTER TABLE households ADD COLUMN improved_sanitation INTEGER NOT NULL DEFAULT 1;
ALTER TABLE households ADD COLUMN assets INTEGER NOT NULL DEFAULT 0;
ALTER TABLE households ADD COLUMN child_deaths INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN undernourished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incomes ADD COLUMN medical_costs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incomes ADD COLUMN schooling_costs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incomes ADD COLUMN disaster_losses INTEGER NOT NULL DEFAULT 0;

-- Rule sets and parameters are global reference data, not per county.
CREATE TABLE rule_sets (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    sense          TEXT NOT NULL,
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to   TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    denominator    INTEGER NOT NULL DEFAULT 0,
    cutoff         TEXT NOT NULL DEFAULT '',
    vulnerable     TEXT NOT NULL DEFAULT '',
    severe         TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    used           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (code, version)
);

CREATE TABLE rules (
    ruleset_id INTEGER NOT NULL REFERENCES rule_sets(id),
    position   INTEGER NOT NULL,
    code       TEXT NOT NULL,
    indicator  TEXT NOT NULL,
    expression TEXT NOT NULL,
    desc_zh    TEXT NOT NULL,
    desc_en    TEXT NOT NULL,
    weight     INTEGER NOT NULL DEFAULT 0,
    fields     TEXT NOT NULL,
    PRIMARY KEY (ruleset_id, position)
);

CREATE TABLE policy_params (
    jurisdiction TEXT NOT NULL,
    kind         TEXT NOT NULL,
    year         INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    certainty    TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (jurisdiction, kind, year)
);

-- A household's facts as a rule read them, stored once per distinct
-- content: months in which nothing changed share one snapshot.
CREATE TABLE fact_snapshots (
    household_id INTEGER NOT NULL DEFAULT 0,
    hash         INTEGER NOT NULL DEFAULT 0,
    county       TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (household_id, hash)
) WITHOUT ROWID;

-- One row per household, period and rule-set version: the outcome of
-- every rule as a bit mask (bit i set: rule i failed) and the snapshot of
-- the inputs. Status, village and persons are kept as they were, so
-- roll-ups of a past period do not move when the registry does. The key
-- starts with the period, so a month's rows are appended together rather
-- than spread over every page of a year of findings.
CREATE TABLE assessments (
    household_id INTEGER NOT NULL DEFAULT 0,
    period       TEXT NOT NULL DEFAULT '',
    ruleset_id   INTEGER NOT NULL DEFAULT 0,
    county       TEXT NOT NULL DEFAULT '',
    village_code TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    persons      INTEGER NOT NULL DEFAULT 0,
    fail_mask    INTEGER NOT NULL DEFAULT 0,
    error_mask   INTEGER NOT NULL DEFAULT 0,
    facts_hash   INTEGER NOT NULL DEFAULT 0,
    run_id       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, household_id, ruleset_id)
) WITHOUT ROWID;
CREATE INDEX assessments_area ON assessments(ruleset_id, period, village_code, status, fail_mask, persons);

CREATE TABLE assessment_runs (
    id          INTEGER PRIMARY KEY,
    period      TEXT NOT NULL,
    area        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rulesets    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    households  INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX assessment_runs_period ON assessment_runs(period, id);

-- Rural registered population (农村户籍人口) of a village by year, the
-- denominator of incidence.
CREATE TABLE village_populations (
    village_code     TEXT NOT NULL,
    year             INTEGER NOT NULL,
    county           TEXT NOT NULL,
    rural_population INTEGER NOT NULL,
    source           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (village_code, year)
);

-- Verification samples (抽查/第三方评估): kind 'exited' checks an exited
-- household (wrong = wrongly exited); kind 'unregistered' checks a
-- household outside the registry (wrong = missed, eligible but never
-- registered). Persons weight the rates.
CREATE TABLE verifications (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    village_code TEXT NOT NULL,
    household_id INTEGER NOT NULL DEFAULT 0,
    period       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    persons      INTEGER NOT NULL,
    wrong        INTEGER NOT NULL,
    verifier     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL
);
CREATE INDEX verifications_area ON verifications(village_code, period);

-- Satisfaction surveys (群众认可度).
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    village_code TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    period       TEXT NOT NULL,
    policies     INTEGER NOT NULL,
    measures     INTEGER NOT NULL,
    exit_result  INTEGER NOT NULL,
    cadre        INTEGER NOT NULL,
    approves     INTEGER NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX surveys_area ON surveys(village_code, period);

-- Bumped by every bulk write (import, demo), so in-memory caches of
-- household facts know when to rebuild.
CREATE TABLE registry_epoch (epoch INTEGER NOT NULL);
INSERT INTO registry_epoch (epoch) VALUES (0);

-- Bumped by every change of rule sets or parameters, so the assessor's
-- compiled rules and parameter table know when to reload.
CREATE TABLE policy_epoch (epoch INTEGER NOT NULL);
INSERT INTO policy_epoch (epoch) VALUES (0);
