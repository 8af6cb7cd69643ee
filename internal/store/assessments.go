package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
)

// Finding is the stored outcome of one rule-set version for one household
// and period: Fail has bit i set when rule i failed, Errs when it could not
// be evaluated. Snapshot holds the facts the rules read.
type Finding struct {
	HouseholdID int64  `json:"household_id"`
	Period      string `json:"period"`
	RuleSetID   int64  `json:"ruleset_id"`
	County      string `json:"county"`
	Village     string `json:"village_code"`
	Status      string `json:"status"`
	Persons     int    `json:"persons"`
	Fail        uint64 `json:"fail_mask"`
	Errs        uint64 `json:"error_mask"`
	Hash        int64  `json:"facts_hash"`
	RunID       int64  `json:"run_id"`
	AssessedAt  string `json:"assessed_at"` // when its run started
	Snapshot    []byte `json:"-"`
}

// Run is one assessment run: a full period, or one household after a
// change.
type Run struct {
	ID         int64  `json:"id"`
	Period     string `json:"period"`
	Area       string `json:"area"`
	Actor      string `json:"actor"`
	Kind       string `json:"kind"` // full, household or replay
	RuleSets   string `json:"rulesets"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	Households int    `json:"households"`
	Failed     int    `json:"failed"`
	Errors     int    `json:"errors"`
}

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// BeginRun records the start of a run and marks the rule-set versions it
// uses as used, so they are never edited.
func (s *Store) BeginRun(ctx context.Context, r *Run, ruleSets []int64) error {
	r.StartedAt, r.RuleSets = s.stamp(), idList(ruleSets)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := markUsed(ctx, tx, ruleSets); err != nil {
			return err
		}
		return insertRun(ctx, tx, r)
	})
}

// insertRun stores a run row and fills its ID.
func insertRun(ctx context.Context, tx *sql.Tx, r *Run) error {
	return tx.QueryRowContext(ctx, `INSERT INTO assessment_runs (period, area, actor, kind, rulesets, started_at, finished_at, households, failed, errors)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		r.Period, r.Area, r.Actor, r.Kind, r.RuleSets, r.StartedAt, r.FinishedAt, r.Households, r.Failed, r.Errors).Scan(&r.ID)
}

// FinishRun records the end of a run. A full run then removes the
// period's findings in its area that earlier runs wrote and it did not
// rewrite (households that left the area or the registry). A household
// re-assessed while the run went on has a later run's finding and keeps
// it.
func (s *Store) FinishRun(ctx context.Context, r *Run, ruleSets []int64) error {
	r.FinishedAt = s.stamp()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if r.Kind == "full" && len(ruleSets) > 0 {
			lo, hi := auth.AreaRange(r.Area)
			// Counting from the index is cheap; the search for stale rows
			// reads every row, so it runs only when the count says some
			// finding was not written by this run.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assessments WHERE ruleset_id IN (`+idList(ruleSets)+`)
				AND period = $1 AND village_code >= $2 AND village_code < $3`, r.Period, lo, hi).Scan(&n); err != nil {
				return err
			}
			if n > r.Households*len(ruleSets) {
				if _, err := tx.ExecContext(ctx, `DELETE FROM assessments WHERE period = $1 AND village_code >= $2 AND village_code < $3
				AND run_id < $4 AND ruleset_id IN (`+idList(ruleSets)+`)`, r.Period, lo, hi, r.ID); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assessment_runs SET finished_at = $1, households = $2, failed = $3, errors = $4 WHERE id = $5`,
			r.FinishedAt, r.Households, r.Failed, r.Errors, r.ID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, auth.System(r.Actor), division.CountyOf(r.Area), "assessment_run", r.ID, 0, "finish", nil, r)
	})
}

// Runs lists the runs of a period, newest first.
func (s *Store) Runs(ctx context.Context, period string) ([]Run, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, period, area, actor, kind, rulesets, started_at, finished_at, households, failed, errors
		FROM assessment_runs WHERE period = $1 ORDER BY id DESC LIMIT 100`, period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.ID, &r.Period, &r.Area, &r.Actor, &r.Kind, &r.RuleSets, &r.StartedAt, &r.FinishedAt, &r.Households, &r.Failed, &r.Errors); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var assessmentCols = []string{"household_id", "period", "ruleset_id", "county", "village_code", "status", "persons",
	"fail_mask", "error_mask", "facts_hash", "run_id"}

const assessmentUpsert = ` ON CONFLICT (period, household_id, ruleset_id) DO UPDATE SET county = excluded.county,
	village_code = excluded.village_code, status = excluded.status, persons = excluded.persons, fail_mask = excluded.fail_mask,
	error_mask = excluded.error_mask, facts_hash = excluded.facts_hash, run_id = excluded.run_id`

// FindingWriter writes findings and snapshots with multi-row statements,
// committing every chunk households so a long run neither holds the
// single SQLite writer for minutes nor loses more than a chunk on a crash
// (the run is simply repeated).
type FindingWriter struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	snaps   *batch
	finds   *batch
	stamp   string
	pending int
	chunk   int
}

// NewFindingWriter opens a writer; chunk is the number of findings per
// transaction.
func (s *Store) NewFindingWriter(ctx context.Context, chunk int) (*FindingWriter, error) {
	w := &FindingWriter{s: s, ctx: ctx, stamp: s.stamp(), chunk: chunk}
	return w, w.begin()
}

// BeginLongWrite prepares SQLite's single writer connection for a run of
// many chunks: a larger page cache, so the index pages every chunk
// touches stay in memory, and no automatic checkpoint after each commit,
// which would copy the same pages into the file again and again (it cost
// a third of a million-household run). EndLongWrite restores both and
// checkpoints once. Both do nothing on PostgreSQL.
func (s *Store) BeginLongWrite(ctx context.Context) error {
	if s.Dialect != SQLite {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -131072`)
	return err
}

// EndLongWrite undoes BeginLongWrite and truncates the log.
func (s *Store) EndLongWrite(ctx context.Context) error {
	if s.Dialect != SQLite {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 1000; PRAGMA cache_size = -32768`); err != nil {
		return err
	}
	return s.Checkpoint(ctx)
}

func (w *FindingWriter) begin() error {
	tx, err := w.s.w.BeginTx(w.ctx, nil)
	if err != nil {
		return err
	}
	w.use(tx)
	return nil
}

// use prepares the writer's statements on tx.
func (w *FindingWriter) use(tx *sql.Tx) {
	w.tx = tx
	snapCols := []string{"household_id", "hash", "county", "data"}
	if w.s.Dialect == SQLite {
		// OR IGNORE and OR REPLACE (every column has a default) cannot
		// abort half-way, so SQLite keeps no statement journal for them;
		// ON CONFLICT can abort on NOT NULL and journals every page it
		// changes, which cost a sixth of a run.
		w.snaps = newBatch(tx, w.s.Dialect, "fact_snapshots", snapCols, "")
		w.snaps.verb = "INSERT OR IGNORE"
		w.finds = newBatch(tx, w.s.Dialect, "assessments", assessmentCols, "")
		w.finds.verb = "INSERT OR REPLACE"
	} else {
		w.snaps = newBatch(tx, w.s.Dialect, "fact_snapshots", snapCols, " ON CONFLICT (household_id, hash) DO NOTHING")
		w.finds = newBatch(tx, w.s.Dialect, "assessments", assessmentCols, assessmentUpsert)
	}
}

// flush writes what is queued in the writer's transaction without
// committing it; the owner of a borrowed transaction commits.
func (w *FindingWriter) flush() error {
	defer w.snaps.close()
	defer w.finds.close()
	if err := w.snaps.flush(w.ctx); err != nil {
		return err
	}
	return w.finds.flush(w.ctx)
}

// BeginRun records a run inside the writer's transaction, for a run of
// one household: its findings and its run row commit together.
func (w *FindingWriter) BeginRun(r *Run, ruleSets []int64) error {
	r.StartedAt, r.FinishedAt, r.RuleSets = w.stamp, w.stamp, idList(ruleSets)
	return insertRun(w.ctx, w.tx, r)
}

// Snapshot queues a snapshot (stored once per distinct content).
func (w *FindingWriter) Snapshot(householdID int64, county string, hash int64, data []byte) error {
	return w.snaps.add(w.ctx, householdID, hash, county, string(data))
}

// Add queues a finding.
func (w *FindingWriter) Add(f *Finding) error {
	if err := w.finds.add(w.ctx, f.HouseholdID, f.Period, f.RuleSetID, f.County, f.Village, f.Status, f.Persons,
		int64(f.Fail), int64(f.Errs), f.Hash, f.RunID); err != nil {
		return err
	}
	w.pending++
	if w.pending >= w.chunk {
		return w.Commit()
	}
	return nil
}

// Commit writes what is queued and commits; the writer stays usable.
func (w *FindingWriter) Commit() error {
	if err := w.snaps.flush(w.ctx); err != nil {
		w.Rollback()
		return err
	}
	if err := w.finds.flush(w.ctx); err != nil {
		w.Rollback()
		return err
	}
	w.snaps.close()
	w.finds.close()
	if err := w.tx.Commit(); err != nil {
		return err
	}
	w.pending = 0
	return w.begin()
}

// Close commits what is left.
func (w *FindingWriter) Close() error {
	if err := w.Commit(); err != nil {
		return err
	}
	w.snaps.close()
	w.finds.close()
	return w.tx.Rollback()
}

// Rollback drops what is queued since the last commit.
func (w *FindingWriter) Rollback() {
	w.snaps.close()
	w.finds.close()
	w.tx.Rollback()
}

const findingSelect = `SELECT a.household_id, a.period, a.ruleset_id, a.county, a.village_code, a.status, a.persons,
	a.fail_mask, a.error_mask, a.facts_hash, a.run_id, COALESCE(r.started_at, ''), f.data
	FROM assessments a JOIN fact_snapshots f ON f.household_id = a.household_id AND f.hash = a.facts_hash
	LEFT JOIN assessment_runs r ON r.id = a.run_id`

func scanFinding(sc scanner) (Finding, error) {
	var f Finding
	var fail, errs int64
	var data string
	err := sc.Scan(&f.HouseholdID, &f.Period, &f.RuleSetID, &f.County, &f.Village, &f.Status, &f.Persons,
		&fail, &errs, &f.Hash, &f.RunID, &f.AssessedAt, &data)
	f.Fail, f.Errs, f.Snapshot = uint64(fail), uint64(errs), []byte(data)
	return f, err
}

// Findings returns a household's findings for a period, within scope.
// An empty period means the latest period the household was assessed in:
// this month if it was re-assessed, else the latest full run's.
func (s *Store) Findings(ctx context.Context, p auth.Principal, householdID int64, period string) ([]Finding, error) {
	if period != "" {
		return s.findings(ctx, p, householdID, period)
	}
	candidates := []string{policy.PeriodOf(s.now()).String()}
	full, err := s.Periods(ctx, "")
	if err != nil {
		return nil, err
	}
	candidates = append(candidates, full...)
	for _, period := range candidates {
		out, err := s.findings(ctx, p, householdID, period)
		if err != nil || len(out) > 0 {
			return out, err
		}
	}
	return []Finding{}, nil
}

func (s *Store) findings(ctx context.Context, p auth.Principal, householdID int64, period string) ([]Finding, error) {
	lo, hi := auth.AreaRange(p.Area)
	rows, err := s.r.QueryContext(ctx, findingSelect+` WHERE a.period = $1 AND a.household_id = $2
		AND a.village_code >= $3 AND a.village_code < $4 ORDER BY a.ruleset_id`, period, householdID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Finding{}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// EachFinding streams the findings of a period in an area with their
// snapshots, by household, in keyset batches.
func (s *Store) EachFinding(ctx context.Context, area, period string, fn func(*Finding) error) error {
	lo, hi := auth.AreaRange(area)
	var last int64 = -1
	for {
		rows, err := s.r.QueryContext(ctx, findingSelect+` WHERE a.period = $1 AND a.household_id > $2
			AND a.village_code >= $3 AND a.village_code < $4 ORDER BY a.household_id, a.ruleset_id LIMIT 5000`, period, last, lo, hi)
		if err != nil {
			return err
		}
		var batch []Finding
		for rows.Next() {
			f, err := scanFinding(rows)
			if err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		// A household's findings must not straddle two batches: drop the
		// last household unless the batch is its only one.
		end := len(batch)
		if len(batch) == 5000 {
			lastID := batch[end-1].HouseholdID
			for end > 0 && batch[end-1].HouseholdID == lastID {
				end--
			}
			if end == 0 {
				end = len(batch)
			}
		}
		for i := 0; i < end; i++ {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		last = batch[end-1].HouseholdID
	}
}

// Periods lists the periods a full run assessed in an area, newest first
// (a period with only single-household re-assessments is not listed).
func (s *Store) Periods(ctx context.Context, area string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT period FROM assessment_runs WHERE finished_at <> '' AND kind = 'full' AND ($1 LIKE area || '%' OR area LIKE $1 || '%')
		ORDER BY period DESC LIMIT 120`, area)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// MaskGroups counts a period's findings of one rule-set version in an
// area by sub-area (the first prefixLen digits of the village code) and
// failure mask. Boards and the MPI read these few rows instead of the
// households behind them. The grouping follows the index's column order
// so the engine aggregates as it scans, without sorting; sub-areas are
// summed here.
func (s *Store) MaskGroups(ctx context.Context, ruleSetID int64, period, area string, prefixLen int) ([]policy.MaskGroup, error) {
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, fail_mask, COUNT(*), SUM(persons)
		FROM assessments WHERE ruleset_id = $1 AND period = $2 AND village_code >= $3 AND village_code < $4
		GROUP BY village_code, status, fail_mask`, ruleSetID, period, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct {
		area string
		mask uint64
	}
	idx := map[key]int{}
	var out []policy.MaskGroup
	for rows.Next() {
		var g policy.MaskGroup
		var mask int64
		if err := rows.Scan(&g.Area, &mask, &g.Households, &g.Persons); err != nil {
			return nil, err
		}
		g.Mask = uint64(mask)
		if len(g.Area) > prefixLen {
			g.Area = g.Area[:prefixLen]
		}
		k := key{g.Area, g.Mask}
		if i, ok := idx[k]; ok {
			out[i].Households += g.Households
			out[i].Persons += g.Persons
			continue
		}
		idx[k] = len(out)
		out = append(out, g)
	}
	return out, rows.Err()
}

// StatusGroup counts a village's households of one status, split by
// whether they passed every rule of the set.
type StatusGroup struct {
	Village    string
	Status     string
	Pass       bool
	Households int64
	Persons    int64
}

// StatusGroups counts a period's findings of one version by village,
// status and pass, for the exit roll-up.
func (s *Store) StatusGroups(ctx context.Context, ruleSetID int64, period, area string) ([]StatusGroup, error) {
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, status, CASE WHEN fail_mask = 0 THEN 1 ELSE 0 END, COUNT(*), SUM(persons)
		FROM assessments WHERE ruleset_id = $1 AND period = $2 AND village_code >= $3 AND village_code < $4 GROUP BY 1, 2, 3`,
		ruleSetID, period, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusGroup
	for rows.Next() {
		var g StatusGroup
		var pass int
		if err := rows.Scan(&g.Village, &g.Status, &pass, &g.Households, &g.Persons); err != nil {
			return nil, err
		}
		g.Pass = pass == 1
		out = append(out, g)
	}
	return out, rows.Err()
}

// RuleSetsOfPeriod returns the rule-set versions a period's findings in an
// area were made with, from the runs that wrote them (reading the
// findings themselves would scan a month of them).
func (s *Store) RuleSetsOfPeriod(ctx context.Context, period, area string) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT rulesets FROM assessment_runs WHERE period = $1 AND finished_at <> ''
		AND ($2 LIKE area || '%' OR area LIKE $2 || '%')`, period, area)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var out []int64
	for rows.Next() {
		var list string
		if err := rows.Scan(&list); err != nil {
			return nil, err
		}
		for _, f := range strings.Split(list, ",") {
			id, err := strconv.ParseInt(f, 10, 64)
			if err == nil && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, rows.Err()
}

// VillagePopulation is a village's rural registered population in a year.
type VillagePopulation struct {
	Village    string `json:"village_code"`
	Year       int    `json:"year"`
	Population int64  `json:"rural_population"`
	Source     string `json:"source"`
}

// SetVillagePopulation records a village's rural registered population.
func (s *Store) SetVillagePopulation(ctx context.Context, v VillagePopulation) error {
	return s.SetVillagePopulations(ctx, []VillagePopulation{v})
}

// SetVillagePopulations records many, all or none.
func (s *Store) SetVillagePopulations(ctx context.Context, vs []VillagePopulation) error {
	if errs := s.CheckVillagePopulations(vs); len(errs) > 0 {
		return fault.Fields(errs)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, v := range vs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO village_populations (village_code, year, county, rural_population, source) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (village_code, year) DO UPDATE SET rural_population = excluded.rural_population, source = excluded.source`,
				v.Village, v.Year, v.Village[:6], v.Population, v.Source); err != nil {
				return err
			}
		}
		if len(vs) == 0 {
			return nil
		}
		return s.logChange(ctx, tx, auth.System("population"), division.CountyOf(vs[0].Village), "village_population", 0, 0, "save", nil, vs)
	})
}

// CheckVillagePopulations lists every bad field of vs; Row is the
// position in vs, from 1.
func (s *Store) CheckVillagePopulations(vs []VillagePopulation) []fault.FieldError {
	var errs []fault.FieldError
	for i, v := range vs {
		if d, ok := s.div.Get(v.Village); !ok || d.Level != "village" {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "village_code", Value: v.Village, Reason: i18n.M("reason.division_unknown")})
		}
		if v.Population < 0 {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "rural_population", Value: strconv.FormatInt(v.Population, 10), Reason: i18n.M("reason.negative")})
		}
		if v.Year < 2013 || v.Year > 2100 {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "year", Value: strconv.Itoa(v.Year), Reason: i18n.M("reason.range", "min", "2013", "max", "2100")})
		}
	}
	return errs
}

// VillagePopulations returns, per village in area, the latest population
// recorded for year or before.
func (s *Store) VillagePopulations(ctx context.Context, area string, year int) (map[string]int64, error) {
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, year, rural_population FROM village_populations
		WHERE village_code >= $1 AND village_code < $2 AND year <= $3 ORDER BY village_code, year`, lo, hi, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var v string
		var y int
		var n int64
		if err := rows.Scan(&v, &y, &n); err != nil {
			return nil, err
		}
		out[v] = n // later years overwrite earlier ones
	}
	return out, rows.Err()
}

// Verification is one sampled check of the exit evaluation.
type Verification struct {
	ID          int64  `json:"id"`
	Village     string `json:"village_code"`
	HouseholdID int64  `json:"household_id"`
	Period      string `json:"period"`
	Kind        string `json:"kind"` // exited or unregistered
	Persons     int    `json:"persons"`
	Wrong       bool   `json:"wrong"` // wrongly exited, or missed
	Verifier    string `json:"verifier"`
	Note        string `json:"note"`
}

// AddVerification records a verification sample.
func (s *Store) AddVerification(ctx context.Context, v *Verification) error {
	var errs []fault.FieldError
	if d, ok := s.div.Get(v.Village); !ok || d.Level != "village" {
		errs = append(errs, fault.FieldError{Field: "village_code", Value: v.Village, Reason: i18n.M("reason.division_unknown")})
	}
	if v.Kind != "exited" && v.Kind != "unregistered" {
		errs = append(errs, fault.FieldError{Field: "kind", Value: v.Kind, Reason: i18n.M("reason.enum")})
	}
	if _, err := policy.ParsePeriod(v.Period); err != nil {
		errs = append(errs, fault.FieldError{Field: "period", Value: v.Period, Reason: i18n.M("reason.period")})
	}
	if v.Persons < 1 || v.Persons > 50 {
		errs = append(errs, fault.FieldError{Field: "persons", Value: strconv.Itoa(v.Persons), Reason: i18n.M("reason.range", "min", "1", "max", "50")})
	}
	if len(errs) > 0 {
		return fault.Fields(errs)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO verifications (county, village_code, household_id, period, kind, persons, wrong, verifier, note, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			v.Village[:6], v.Village, v.HouseholdID, v.Period, v.Kind, v.Persons, b2i(v.Wrong), v.Verifier, v.Note, s.stamp()).Scan(&v.ID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, auth.System(v.Verifier), v.Village[:6], "verification", v.ID, v.HouseholdID, "create", nil, v)
	})
}

// SampleCount is what verification samples of one kind found in a village.
type SampleCount struct {
	Village string
	Kind    string
	Persons int64
	Wrong   int64
}

// VerificationCounts sums a year's samples up to period, by village and
// kind.
func (s *Store) VerificationCounts(ctx context.Context, area, period string) ([]SampleCount, error) {
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, kind, SUM(persons), SUM(CASE WHEN wrong = 1 THEN persons ELSE 0 END)
		FROM verifications WHERE village_code >= $1 AND village_code < $2 AND period >= $3 AND period <= $4 GROUP BY 1, 2`,
		lo, hi, period[:4]+"-01", period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SampleCount
	for rows.Next() {
		var c SampleCount
		if err := rows.Scan(&c.Village, &c.Kind, &c.Persons, &c.Wrong); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Survey is one household's answers to the satisfaction survey (群众认可度).
type Survey struct {
	ID          int64  `json:"id"`
	Village     string `json:"village_code"`
	HouseholdID int64  `json:"household_id"`
	Period      string `json:"period"`
	Policies    bool   `json:"policies"`    // recognises the policies
	Measures    bool   `json:"measures"`    // recognises the measures
	ExitResult  bool   `json:"exit_result"` // recognises the exit result
	Cadre       bool   `json:"cadre"`       // recognises the cadre's help
	Approves    bool   `json:"approves"`
	Comment     string `json:"comment"`
	Channel     string `json:"channel"` // verifier or self
	RecordedBy  string `json:"recorded_by"`
}

// AddSurvey records a survey; a household approves when it recognises
// all four.
func (s *Store) AddSurvey(ctx context.Context, v *Survey) error {
	var errs []fault.FieldError
	if d, ok := s.div.Get(v.Village); !ok || d.Level != "village" {
		errs = append(errs, fault.FieldError{Field: "village_code", Value: v.Village, Reason: i18n.M("reason.division_unknown")})
	}
	if _, err := policy.ParsePeriod(v.Period); err != nil {
		errs = append(errs, fault.FieldError{Field: "period", Value: v.Period, Reason: i18n.M("reason.period")})
	}
	if v.Channel != "verifier" && v.Channel != "self" {
		errs = append(errs, fault.FieldError{Field: "channel", Value: v.Channel, Reason: i18n.M("reason.enum")})
	}
	if len(errs) > 0 {
		return fault.Fields(errs)
	}
	v.Approves = v.Policies && v.Measures && v.ExitResult && v.Cadre
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertSurvey(ctx, tx, v) })
}

func (s *Store) insertSurvey(ctx context.Context, tx *sql.Tx, v *Survey) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO surveys (county, village_code, household_id, period, policies, measures, exit_result, cadre, approves,
		comment, channel, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		v.Village[:6], v.Village, v.HouseholdID, v.Period, b2i(v.Policies), b2i(v.Measures), b2i(v.ExitResult), b2i(v.Cadre), b2i(v.Approves),
		v.Comment, v.Channel, v.RecordedBy, s.stamp()).Scan(&v.ID); err != nil {
		return err
	}
	return s.logChange(ctx, tx, auth.System(v.RecordedBy), v.Village[:6], "survey", v.ID, v.HouseholdID, "create", nil, v)
}

// SurveyCount is the surveys of a village: how many, how many approve.
type SurveyCount struct {
	Village  string
	Surveyed int64
	Approves int64
}

// SurveyCounts sums a year's surveys up to period by village.
func (s *Store) SurveyCounts(ctx context.Context, area, period string) ([]SurveyCount, error) {
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, COUNT(*), SUM(approves) FROM surveys
		WHERE village_code >= $1 AND village_code < $2 AND period >= $3 AND period <= $4 GROUP BY 1`, lo, hi, period[:4]+"-01", period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SurveyCount
	for rows.Next() {
		var c SurveyCount
		if err := rows.Scan(&c.Village, &c.Surveyed, &c.Approves); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
