package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"tuopin/internal/appraisal"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// Formula returns a scorecard formula version; version 0 is the latest.
func (s *Store) Formula(ctx context.Context, code string, version int) (appraisal.Formula, error) {
	q := `SELECT id, code, version, weights, timely_day, created_at, created_by FROM scorecard_formulas WHERE code = $1`
	args := []any{code}
	if version > 0 {
		q += ` AND version = $2`
		args = append(args, version)
	}
	var f appraisal.Formula
	var weights string
	err := s.r.QueryRowContext(ctx, q+` ORDER BY version DESC LIMIT 1`, args...).Scan(&f.ID, &f.Code, &f.Version, &weights, &f.TimelyDay, &f.CreatedAt, &f.CreatedBy)
	if isNoRows(err) {
		return f, notFound()
	}
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal([]byte(weights), &f.Weights)
}

// SaveFormula stores a new version of a scorecard formula (county office
// only), after checking it.
func (s *Store) SaveFormula(ctx context.Context, p auth.Principal, f *appraisal.Formula) error {
	if !p.CanEditPolicy() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if errs := f.Check(); len(errs) > 0 {
		return fault.Fields(errs)
	}
	weights, err := json.Marshal(f.Weights)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM scorecard_formulas WHERE code = $1`, f.Code).Scan(&f.Version); err != nil {
			return err
		}
		f.CreatedAt, f.CreatedBy = s.stamp(), p.Username
		if err := tx.QueryRowContext(ctx, `INSERT INTO scorecard_formulas (code, version, weights, timely_day, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, f.Code, f.Version, string(weights), f.TimelyDay, f.CreatedAt, f.CreatedBy).Scan(&f.ID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, "", "scorecard_formula", f.ID, 0, "create", nil, f)
	})
}

// monthBounds gives a month's first day, last day and the next month's
// first day, as dates.
func monthBounds(period string) (first, last, next string, err error) {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return "", "", "", fault.Fields([]fault.FieldError{{Field: "period", Value: period, Reason: i18n.M("reason.period")}})
	}
	return t.Format("2006-01-02"), t.AddDate(0, 1, -1).Format("2006-01-02"), t.AddDate(0, 1, 0).Format("2006-01-02"), nil
}

// pairedAt is the condition that pairing pr was in force on the last day
// of the month ($lastDay), so a past month's scorecard is reproducible
// after cadres change.
func pairedAt(lastDay string) string {
	return `pr.start_date <= ` + lastDay + ` AND (pr.end_date = '' OR pr.end_date > ` + lastDay + `)`
}

// CadreCounts counts, for every cadre with households in the area, what a
// month's scorecard is made of: households paired at the end of the month
// and how many the cadre visited, the cadre's visits and how many came by
// timelyDay, their items resolved in the month (on time, once reopened),
// the samples checked and the flags against the cadre, and the surveys
// and how many recognised the cadre's help. Each count is one grouped
// query over the month's rows, so every cadre of a county is counted in a
// few passes.
func (s *Store) CadreCounts(ctx context.Context, p auth.Principal, area, period string, timelyDay int) ([]appraisal.Card, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, notFound()
	}
	first, last, next, err := monthBounds(period)
	if err != nil {
		return nil, err
	}
	lo, hi := auth.AreaRange(area)
	byID := map[int64]*appraisal.Card{}
	var order []int64
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.name, c.unit, c.area, COUNT(*) FROM pairings pr
		JOIN households h ON h.id = pr.household_id JOIN cadres c ON c.id = pr.cadre_id
		WHERE h.village_code >= $1 AND h.village_code < $2 AND `+pairedAt("$3")+`
		GROUP BY c.id, c.name, c.unit, c.area ORDER BY c.id`, lo, hi, last)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		c := &appraisal.Card{}
		if err := rows.Scan(&c.CadreID, &c.Name, &c.Unit, &c.Area, &c.Counts.Households); err != nil {
			rows.Close()
			return nil, err
		}
		byID[c.CadreID] = c
		order = append(order, c.CadreID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	day := period + "-" + twoDigits(timelyDay)
	queries := []struct {
		q    string
		set  func(c *appraisal.Counts, v [3]int64)
		args []any
	}{
		// Visits by the household's own paired cadre.
		{`SELECT cadre_id, COUNT(DISTINCT household_id), COUNT(*), SUM(CASE WHEN visit_date <= $4 THEN 1 ELSE 0 END) FROM visits
			WHERE period = $1 AND village_code >= $2 AND village_code < $3 AND cadre_id <> 0 AND cadre_id = paired_cadre_id GROUP BY cadre_id`,
			func(c *appraisal.Counts, v [3]int64) { c.Visited, c.Visits, c.TimelyVisits = v[0], v[1], v[2] }, []any{period, lo, hi, day}},
		// Items of the cadre's households resolved in the month.
		{`SELECT pr.cadre_id, COUNT(*), SUM(CASE WHEN x.deadline = '' OR substr(x.resolved_at, 1, 10) <= x.deadline THEN 1 ELSE 0 END),
			SUM(CASE WHEN x.reopened > 0 THEN 1 ELSE 0 END) FROM shortfalls x JOIN pairings pr ON pr.household_id = x.household_id
			WHERE x.village_code >= $1 AND x.village_code < $2 AND x.resolved_at >= $3 AND x.resolved_at < $4 AND ` + pairedAt("$5") + ` GROUP BY pr.cadre_id`,
			func(c *appraisal.Counts, v [3]int64) { c.Resolved, c.ResolvedOnTime, c.Reopened = v[0], v[1], v[2] }, []any{lo, hi, first, next, last}},
		// Samples of the cadre's households checked in the month.
		{`SELECT pr.cadre_id, COUNT(*), 0, 0 FROM verification_samples vs JOIN pairings pr ON pr.household_id = vs.household_id
			WHERE vs.period = $1 AND vs.village_code >= $2 AND vs.village_code < $3 AND vs.status = 'done' AND ` + pairedAt("$4") + ` GROUP BY pr.cadre_id`,
			func(c *appraisal.Counts, v [3]int64) { c.Samples = v[0] }, []any{period, lo, hi, last}},
		// Flags against the cadre: a "no problem" the check contradicted.
		{`SELECT f.cadre_id, COUNT(DISTINCT f.household_id), 0, 0 FROM cadre_flags f JOIN households h ON h.id = f.household_id
			WHERE f.period = $1 AND h.village_code >= $2 AND h.village_code < $3 GROUP BY f.cadre_id`,
			func(c *appraisal.Counts, v [3]int64) { c.Contradicted = v[0] }, []any{period, lo, hi}},
		// Surveys of the cadre's households, and those recognising the
		// cadre's help.
		{`SELECT pr.cadre_id, COUNT(*), SUM(CASE WHEN sv.cadre <> 0 THEN 1 ELSE 0 END), 0 FROM surveys sv JOIN pairings pr ON pr.household_id = sv.household_id
			WHERE sv.period = $1 AND sv.village_code >= $2 AND sv.village_code < $3 AND ` + pairedAt("$4") + ` GROUP BY pr.cadre_id`,
			func(c *appraisal.Counts, v [3]int64) { c.Surveys, c.Recognised = v[0], v[1] }, []any{period, lo, hi, last}},
	}
	for _, qq := range queries {
		rows, err := s.r.QueryContext(ctx, qq.q, qq.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var v [3]int64
			if err := rows.Scan(&id, &v[0], &v[1], &v[2]); err != nil {
				rows.Close()
				return nil, err
			}
			if c := byID[id]; c != nil {
				qq.set(&c.Counts, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]appraisal.Card, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ScoreRecord is one record behind a scorecard metric: what it is, its
// household, its date, a short detail, and whether it counts in the
// metric's numerator.
type ScoreRecord struct {
	Kind        string `json:"kind"` // household, visit, shortfall, sample, survey
	ID          int64  `json:"id"`
	HouseholdID int64  `json:"household_id"`
	Date        string `json:"date"`
	Detail      string `json:"detail"`
	Counts      bool   `json:"counts"`
}

// ScoreRecords lists the records behind one metric of a cadre's
// scorecard for a month, within the principal's scope, the same rows the
// counts were made from.
func (s *Store) ScoreRecords(ctx context.Context, p auth.Principal, cadreID int64, period, metric string, timelyDay int) ([]ScoreRecord, error) {
	first, last, next, err := monthBounds(period)
	if err != nil {
		return nil, err
	}
	lo, hi := p.ScopeRange()
	day := period + "-" + twoDigits(timelyDay)
	var q string
	var args []any
	switch metric {
	case appraisal.Coverage:
		q = `SELECT 'household', h.id, h.id, '', h.number, EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id AND v.period = $4 AND v.cadre_id = $1)
			FROM pairings pr JOIN households h ON h.id = pr.household_id
			WHERE pr.cadre_id = $1 AND h.village_code >= $2 AND h.village_code < $3 AND ` + pairedAt("$5") + ` ORDER BY h.id`
		args = []any{cadreID, lo, hi, period, last}
	case appraisal.Timeliness:
		q = `SELECT 'visit', id, household_id, visit_date, kind, visit_date <= $4 FROM visits
			WHERE cadre_id = $1 AND paired_cadre_id = $1 AND village_code >= $2 AND village_code < $3 AND period = $5 ORDER BY id`
		args = []any{cadreID, lo, hi, day, period}
	case appraisal.OnTime, appraisal.Reopened:
		cond := `x.deadline = '' OR substr(x.resolved_at, 1, 10) <= x.deadline`
		if metric == appraisal.Reopened {
			cond = `x.reopened > 0`
		}
		q = `SELECT 'shortfall', x.id, x.household_id, substr(x.resolved_at, 1, 10), x.indicator || ' ' || x.deadline, ` + cond + `
			FROM shortfalls x JOIN pairings pr ON pr.household_id = x.household_id
			WHERE pr.cadre_id = $1 AND x.village_code >= $2 AND x.village_code < $3 AND x.resolved_at >= $4 AND x.resolved_at < $5 AND ` + pairedAt("$6") + ` ORDER BY x.id`
		args = []any{cadreID, lo, hi, first, next, last}
	case appraisal.Contradicted:
		q = `SELECT 'sample', vs.id, vs.household_id, substr(vs.done_at, 1, 10), vs.verifier,
			EXISTS (SELECT 1 FROM cadre_flags f WHERE f.cadre_id = $1 AND f.period = $4 AND f.household_id = vs.household_id)
			FROM verification_samples vs JOIN pairings pr ON pr.household_id = vs.household_id
			WHERE pr.cadre_id = $1 AND vs.village_code >= $2 AND vs.village_code < $3 AND vs.period = $4 AND vs.status = 'done' AND ` + pairedAt("$5") + ` ORDER BY vs.id`
		args = []any{cadreID, lo, hi, period, last}
	case appraisal.Satisfaction:
		q = `SELECT 'survey', sv.id, sv.household_id, substr(sv.recorded_at, 1, 10), sv.comment, sv.cadre <> 0
			FROM surveys sv JOIN pairings pr ON pr.household_id = sv.household_id
			WHERE pr.cadre_id = $1 AND sv.village_code >= $2 AND sv.village_code < $3 AND sv.period = $4 AND ` + pairedAt("$5") + ` ORDER BY sv.id`
		args = []any{cadreID, lo, hi, period, last}
	default:
		return nil, fault.Fields([]fault.FieldError{{Field: "metric", Value: metric, Reason: i18n.M("reason.enum")}})
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ScoreRecord{}
	for rows.Next() {
		var r ScoreRecord
		var counts any
		if err := rows.Scan(&r.Kind, &r.ID, &r.HouseholdID, &r.Date, &r.Detail, &counts); err != nil {
			return nil, err
		}
		switch c := counts.(type) {
		case bool:
			r.Counts = c
		case int64:
			r.Counts = c != 0
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Scorecards scores every cadre with households in the area for a month
// with formula f, ranked; the result is kept until anything is written.
func (s *Store) Scorecards(ctx context.Context, p auth.Principal, area, period string, f appraisal.Formula) ([]appraisal.Card, error) {
	v, err := s.Memo(ctx, func() (any, error) {
		cards, err := s.CadreCounts(ctx, p, area, period, f.TimelyDay)
		if err != nil {
			return nil, err
		}
		f.ScoreAll(cards)
		return cards, nil
	}, "scorecards", p.Area, area, period, f.Code, strconv.Itoa(f.Version))
	if err != nil {
		return nil, err
	}
	return v.([]appraisal.Card), nil
}

// CardOfMonth is one month of a cadre's appraisal history.
type CardOfMonth struct {
	Period string         `json:"period"`
	Card   appraisal.Card `json:"card"`
}

// ScorecardHistory is a cadre's scorecards for the months months up to
// now, oldest first, with formula f; months the cadre had no households
// are left out.
func (s *Store) ScorecardHistory(ctx context.Context, p auth.Principal, cadreID int64, months int, f appraisal.Formula) ([]CardOfMonth, error) {
	out := []CardOfMonth{}
	now := s.now()
	for i := months - 1; i >= 0; i-- {
		period := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -i, 0).Format("2006-01")
		cards, err := s.Scorecards(ctx, p, "", period, f)
		if err != nil {
			return nil, err
		}
		for _, c := range cards {
			if c.CadreID == cadreID {
				out = append(out, CardOfMonth{Period: period, Card: c})
			}
		}
	}
	if len(out) == 0 {
		return nil, notFound()
	}
	return out, nil
}
