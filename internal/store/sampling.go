package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// Sample is a household drawn for re-verification in a month.
type Sample struct {
	ID           int64  `json:"id"`
	County       string `json:"county"`
	Period       string `json:"period"`
	Village      string `json:"village_code"`
	HouseholdID  int64  `json:"household_id"`
	Seed         int64  `json:"seed"`
	Status       string `json:"status"` // pending or done
	Verifier     string `json:"verifier"`
	Wrong        bool   `json:"wrong"`        // wrongly exited, or missed
	Contradicted bool   `json:"contradicted"` // a "no problem" the check contradicts
}

// DrawSample draws, in every village of area, the perVillage households
// that come first in the seed's order and are not drawn for the month yet.
// The same seed, month and registry give the same sample.
func (s *Store) DrawSample(ctx context.Context, p auth.Principal, period, area string, perVillage int, seed int64) ([]Sample, error) {
	if !p.CanVerify() {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	if len(period) != 7 || period[4] != '-' {
		return nil, fault.Fields([]fault.FieldError{{Field: "period", Value: period, Reason: i18n.M("reason.period")}})
	}
	if perVillage < 1 || perVillage > 1000 {
		return nil, fault.Fields([]fault.FieldError{{Field: "per_village", Value: strconv.Itoa(perVillage), Reason: i18n.M("reason.range", "min", "1", "max", "1000")}})
	}
	lo, hi := auth.AreaRange(area)
	drawn := map[int64]bool{}
	drows, err := s.r.QueryContext(ctx, `SELECT household_id FROM verification_samples WHERE period = $1 AND village_code >= $2 AND village_code < $3`, period, lo, hi)
	if err != nil {
		return nil, err
	}
	for drows.Next() {
		var id int64
		if err := drows.Scan(&id); err != nil {
			drows.Close()
			return nil, err
		}
		drawn[id] = true
	}
	drows.Close()
	// ID and village only, which the village index covers: the draw reads
	// the index instead of every household row.
	rows, err := s.r.QueryContext(ctx, `SELECT h.id, h.village_code FROM households h WHERE h.village_code >= $1 AND h.village_code < $2`, lo, hi)
	if err != nil {
		return nil, err
	}
	// A household's key is the FNV-1a hash of "seed|period|id": the same
	// seed and month give the same order, so a sample can be drawn again
	// and checked. Each village keeps its perVillage households with the
	// smallest keys, each key computed once, so a draw stays linear.
	type keyed struct {
		key uint64
		x   Sample
	}
	byVillage := map[string][]keyed{}
	prefix := []byte(strconv.FormatInt(seed, 10) + "|" + period + "|")
	hash, buf := fnv.New64a(), make([]byte, 0, 20)
	for rows.Next() {
		var x Sample
		if err := rows.Scan(&x.HouseholdID, &x.Village); err != nil {
			rows.Close()
			return nil, err
		}
		x.County = division.CountyOf(x.Village)
		if drawn[x.HouseholdID] {
			continue
		}
		hash.Reset()
		hash.Write(prefix)
		hash.Write(strconv.AppendInt(buf[:0], x.HouseholdID, 10))
		k := keyed{hash.Sum64(), x}
		best := byVillage[x.Village]
		i := sort.Search(len(best), func(i int) bool { return best[i].key > k.key })
		if i < perVillage {
			best = slices.Insert(best, i, k)
			if len(best) > perVillage {
				best = best[:perVillage]
			}
			byVillage[x.Village] = best
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	villages := make([]string, 0, len(byVillage))
	for v := range byVillage {
		villages = append(villages, v)
	}
	sort.Strings(villages)
	var out []Sample
	for _, v := range villages {
		for _, k := range byVillage[v] {
			out = append(out, k.x)
		}
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		now := s.stamp()
		for i := range out {
			x := &out[i]
			x.Period, x.Seed, x.Status = period, seed, "pending"
			if err := tx.QueryRowContext(ctx, `INSERT INTO verification_samples (county, period, village_code, household_id, seed, drawn_by, drawn_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, x.County, period, x.Village, x.HouseholdID, seed, p.Username, now).Scan(&x.ID); err != nil {
				return err
			}
		}
		return s.logChange(ctx, tx, p, division.CountyOf(area), "verification_sample", 0, 0, "draw", nil,
			map[string]any{"period": period, "area": area, "per_village": perVillage, "seed": seed, "households": len(out)})
	})
	return out, err
}

// Samples lists a month's samples in an area within scope.
func (s *Store) Samples(ctx context.Context, p auth.Principal, period, area string) ([]Sample, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT id, county, period, village_code, household_id, seed, status, verifier, wrong, contradicted
		FROM verification_samples WHERE period = $1 AND village_code >= $2 AND village_code < $3 ORDER BY village_code, id`, period, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Sample{}
	for rows.Next() {
		var x Sample
		var wrong, contra int
		if err := rows.Scan(&x.ID, &x.County, &x.Period, &x.Village, &x.HouseholdID, &x.Seed, &x.Status, &x.Verifier, &wrong, &contra); err != nil {
			return nil, err
		}
		x.Wrong, x.Contradicted = wrong == 1, contra == 1
		out = append(out, x)
	}
	return out, rows.Err()
}

// CheckContext is what a check is judged against: the sample, the
// household as registered, its paired cadre and the cadre's last visit.
type CheckContext struct {
	Sample        Sample
	Household     registry.Household
	PairedCadreID int64
	CadreUsername string
	LastVisit     *registry.Visit // by the paired cadre, nil if none
}

// SampleForCheck loads a pending sample in scope for the verifier, who
// may not be the household's paired cadre.
func (s *Store) SampleForCheck(ctx context.Context, p auth.Principal, id int64) (*CheckContext, error) {
	if !p.CanVerify() {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	lo, hi := auth.AreaRange(p.Area)
	c := &CheckContext{}
	x := &c.Sample
	err := s.r.QueryRowContext(ctx, `SELECT id, county, period, village_code, household_id, seed, status FROM verification_samples
		WHERE id = $1 AND village_code >= $2 AND village_code < $3`, id, lo, hi).Scan(&x.ID, &x.County, &x.Period, &x.Village, &x.HouseholdID, &x.Seed, &x.Status)
	if isNoRows(err) {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	if err != nil {
		return nil, err
	}
	if x.Status != "pending" {
		return nil, fault.New(fault.Conflict, "error.sample_done")
	}
	if c.Household, err = s.GetHousehold(ctx, p, x.HouseholdID); err != nil {
		return nil, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(pr.cadre_id), 0), COALESCE(MAX(c.username), '') FROM pairings pr JOIN cadres c ON c.id = pr.cadre_id
		WHERE pr.household_id = $1 AND pr.end_date = ''`, x.HouseholdID).Scan(&c.PairedCadreID, &c.CadreUsername); err != nil {
		return nil, err
	}
	if c.CadreUsername != "" && c.CadreUsername == p.Username {
		return nil, fault.New(fault.Forbidden, "error.verify_own_household")
	}
	var facts string
	var noProblem int
	v := &registry.Visit{}
	err = s.r.QueryRowContext(ctx, `SELECT id, visit_date, facts, no_problem, cadre_id FROM visits WHERE household_id = $1 AND cadre_id <> 0
		AND cadre_id = paired_cadre_id AND period <= $2 ORDER BY visit_date DESC, id DESC LIMIT 1`, x.HouseholdID, x.Period).Scan(&v.ID, &v.Date, &facts, &noProblem, &v.CadreID)
	switch {
	case isNoRows(err):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal([]byte(facts), &v.Facts); err != nil {
			return nil, err
		}
		v.NoProblem = noProblem == 1
		c.LastVisit = v
	}
	return c, nil
}

// CheckDiff is one field the cadre and the verifier saw differently.
type CheckDiff struct {
	Field         string `json:"field"`
	CadreValue    string `json:"cadre_value"`
	VerifierValue string `json:"verifier_value"`
}

// CheckResult is a finished check, stored by CompleteCheck.
type CheckResult struct {
	Diffs        []CheckDiff
	Wrong        bool   // wrongly exited (an exited household) or missed (one outside the registry)
	Kind         string // exited or unregistered, for the exit roll-up; "" for others
	Contradicted bool
	Note         string
}

// CompleteCheck stores a check: the sample done, its differences, a
// verification row for the exit roll-up, and a flag against the cadre
// whose "no problem" it contradicts, all in one transaction.
func (s *Store) CompleteCheck(ctx context.Context, p auth.Principal, c *CheckContext, r CheckResult) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE verification_samples SET status = 'done', verifier = $1, done_at = $2, wrong = $3, contradicted = $4
			WHERE id = $5 AND status = 'pending'`, p.Username, s.stamp(), b2i(r.Wrong), b2i(r.Contradicted), c.Sample.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.sample_done")
		}
		for _, d := range r.Diffs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO verification_diffs (sample_id, field, cadre_value, verifier_value) VALUES ($1, $2, $3, $4)`,
				c.Sample.ID, d.Field, d.CadreValue, d.VerifierValue); err != nil {
				return err
			}
		}
		if r.Kind != "" {
			persons := 0
			for _, m := range c.Household.Members {
				if !m.Deceased {
					persons++
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO verifications (county, village_code, household_id, period, kind, persons, wrong, verifier, note, recorded_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, c.Sample.County, c.Sample.Village, c.Sample.HouseholdID, c.Sample.Period, r.Kind,
				max(persons, 1), b2i(r.Wrong), p.Username, r.Note, s.stamp()); err != nil {
				return err
			}
		}
		if r.Contradicted && c.PairedCadreID != 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cadre_flags (county, cadre_id, period, kind, household_id, sample_id, created_at)
				VALUES ($1, $2, $3, 'no_problem_contradicted', $4, $5, $6)`, c.Sample.County, c.PairedCadreID, c.Sample.Period, c.Sample.HouseholdID, c.Sample.ID, s.stamp()); err != nil {
				return err
			}
		}
		return s.logChange(ctx, tx, p, c.Sample.County, "verification_sample", c.Sample.ID, c.Sample.HouseholdID, "check", nil,
			map[string]any{"diffs": r.Diffs, "wrong": r.Wrong, "kind": r.Kind, "contradicted": r.Contradicted, "note": r.Note})
	})
}

// CadreFlags counts flags of a kind by cadre for a month in an area.
func (s *Store) CadreFlags(ctx context.Context, p auth.Principal, period, area string) (map[int64]int, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT f.cadre_id, COUNT(*) FROM cadre_flags f JOIN households h ON h.id = f.household_id
		WHERE f.period = $1 AND h.village_code >= $2 AND h.village_code < $3 GROUP BY f.cadre_id`, period, area, area+":")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
