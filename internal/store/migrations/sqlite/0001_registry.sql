-- Registry (建档立卡): divisions, accounts, households, members, cadres,
-- pairings, incomes, change history and import jobs. Every business table
-- carries the county code so a national deployment can shard by county.

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT NOT NULL DEFAULT '',
    code_version TEXT NOT NULL
);
CREATE INDEX divisions_parent ON divisions(parent_code, code);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    area          TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE households (
    id              INTEGER PRIMARY KEY,
    county          TEXT NOT NULL,
    number          TEXT NOT NULL,
    village_code    TEXT NOT NULL,
    group_name      TEXT NOT NULL DEFAULT '',
    head_name       TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',
    bank_account    TEXT NOT NULL DEFAULT '',
    standard        TEXT NOT NULL,
    attribute       TEXT NOT NULL,
    main_cause      TEXT NOT NULL,
    other_causes    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    identified_year INTEGER NOT NULL,
    exit_year       INTEGER NOT NULL DEFAULT 0,
    food_secure     INTEGER NOT NULL DEFAULT 1,
    clothing_secure INTEGER NOT NULL DEFAULT 1,
    housing_area    REAL NOT NULL DEFAULT 0,
    housing_structure TEXT NOT NULL DEFAULT '',
    housing_year    INTEGER NOT NULL DEFAULT 0,
    housing_grade   TEXT NOT NULL DEFAULT '',
    relocation      TEXT NOT NULL DEFAULT 'none',
    water_source    TEXT NOT NULL DEFAULT '',
    water_litres    INTEGER NOT NULL DEFAULT 0,
    water_quality   TEXT NOT NULL DEFAULT '',
    water_minutes   INTEGER NOT NULL DEFAULT 0,
    water_outage_days INTEGER NOT NULL DEFAULT 0,
    electricity     INTEGER NOT NULL DEFAULT 1,
    cooking_fuel    TEXT NOT NULL DEFAULT '',
    land_mu         REAL NOT NULL DEFAULT 0,
    has_car         INTEGER NOT NULL DEFAULT 0,
    has_town_house  INTEGER NOT NULL DEFAULT 0,
    has_business    INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX households_number ON households(county, number);
CREATE INDEX households_village ON households(village_code, number);
CREATE INDEX households_head ON households(head_name);

CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    county          TEXT NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    name            TEXT NOT NULL,
    sex             TEXT NOT NULL,
    id_number       TEXT NOT NULL,
    disability_cert TEXT NOT NULL DEFAULT '',
    birth_date      TEXT NOT NULL,
    relation        TEXT NOT NULL,
    ethnicity       TEXT NOT NULL DEFAULT '',
    education       TEXT NOT NULL DEFAULT '',
    student_status  TEXT NOT NULL DEFAULT '',
    health          TEXT NOT NULL,
    labour          TEXT NOT NULL,
    migrant_months  INTEGER NOT NULL DEFAULT 0,
    dibao           INTEGER NOT NULL DEFAULT 0,
    medical_insurance  INTEGER NOT NULL DEFAULT 0,
    critical_insurance INTEGER NOT NULL DEFAULT 0,
    pension_insurance  INTEGER NOT NULL DEFAULT 0,
    civil_servant   INTEGER NOT NULL DEFAULT 0,
    deceased        INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX members_household ON members(household_id);
CREATE UNIQUE INDEX members_id_number ON members(county, id_number);
CREATE INDEX members_name ON members(name);

CREATE TABLE incomes (
    county        TEXT NOT NULL,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    year          INTEGER NOT NULL,
    wages         INTEGER NOT NULL DEFAULT 0,
    business      INTEGER NOT NULL DEFAULT 0,
    transfers     INTEGER NOT NULL DEFAULT 0,
    property      INTEGER NOT NULL DEFAULT 0,
    costs         INTEGER NOT NULL DEFAULT 0,
    net           INTEGER NOT NULL DEFAULT 0,
    per_capita    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (household_id, year)
);

CREATE TABLE cadres (
    id         INTEGER PRIMARY KEY,
    county     TEXT NOT NULL,
    name       TEXT NOT NULL,
    unit       TEXT NOT NULL,
    unit_level TEXT NOT NULL,
    post       TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    area       TEXT NOT NULL,
    username   TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cadres_area ON cadres(area);

CREATE TABLE pairings (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    cadre_id     INTEGER NOT NULL REFERENCES cadres(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pairings_household ON pairings(household_id, start_date);
CREATE INDEX pairings_cadre ON pairings(cadre_id, end_date);

CREATE TABLE changes (
    id           INTEGER PRIMARY KEY,
    county       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    INTEGER NOT NULL,
    household_id INTEGER NOT NULL DEFAULT 0,
    action       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL,
    before_json  TEXT NOT NULL DEFAULT '',
    after_json   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX changes_household ON changes(household_id, id);

CREATE TABLE import_jobs (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL
);
