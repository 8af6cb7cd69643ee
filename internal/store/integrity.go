package store

import (
	"context"
	"strconv"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
)

// Signal is one integrity signal for the discipline inspector: a pattern
// inspections found in the work, tied to the records that show it.
type Signal struct {
	Kind        string `json:"kind"`
	Area        string `json:"area"`
	HouseholdID int64  `json:"household_id,omitempty"`
	CadreID     int64  `json:"cadre_id,omitempty"`
	Detail      string `json:"detail"`
}

// Signals are the integrity signals of an area for a month, at most
// SignalLimit of each kind, with how many of each were found.
type Signals struct {
	Area    string         `json:"area"`
	Period  string         `json:"period"`
	Counts  map[string]int `json:"counts"`
	Items   []Signal       `json:"items"`
	Missing []string       `json:"missing"` // kinds that need data the registry does not record
}

// SignalLimit bounds the items of each kind.
const SignalLimit = 200

// SignalKinds are the signals, in display order:
//   - no_problem_contradicted: a cadre whose every visit of the last three
//     months said "no problem" while verification found problems;
//   - income_jump: a household whose per-capita income at least doubled in
//     a year with no measure behind it (no planned shortfall measure, no
//     monitoring measure);
//   - exit_near_line: villages where at least a quarter of the exited
//     households (and three or more) sit less than 10% above the line;
//   - duplicate_id: an ID number in more than one household;
//   - dead_counted: a member recorded as dead who still draws the
//     minimum living allowance (低保).
var SignalKinds = []string{"no_problem_contradicted", "income_jump", "exit_near_line", "duplicate_id", "dead_counted"}

// IntegritySignals looks for the patterns of SignalKinds in the area for
// the month. Relatives of village cadres among the beneficiaries
// (优亲厚友) need family relations the registry does not record; the
// answer says so in Missing.
func (s *Store) IntegritySignals(ctx context.Context, p auth.Principal, area, period string) (*Signals, error) {
	if !p.CanHoldAccountable() {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, notFound()
	}
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return nil, badField("period", period, "reason.period")
	}
	lo, hi := auth.AreaRange(area)
	out := &Signals{Area: area, Period: period, Counts: map[string]int{}, Items: []Signal{}, Missing: []string{"relatives_of_cadres"}}
	add := func(x Signal) {
		out.Counts[x.Kind]++
		if out.Counts[x.Kind] <= SignalLimit {
			out.Items = append(out.Items, x)
		}
	}
	scan := func(kind, q string, args ...any) error {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x := Signal{Kind: kind}
			if err := rows.Scan(&x.Area, &x.HouseholdID, &x.CadreID, &x.Detail); err != nil {
				return err
			}
			add(x)
		}
		return rows.Err()
	}
	first := t.AddDate(0, -2, 0).Format("2006-01")
	if err := scan("no_problem_contradicted", `SELECT c.area, 0, v.cadre_id, 'visits ' || COUNT(*) || ', flags ' ||
		(SELECT COUNT(*) FROM cadre_flags f WHERE f.cadre_id = v.cadre_id AND f.period >= $1 AND f.period <= $2)
		FROM visits v JOIN cadres c ON c.id = v.cadre_id
		WHERE v.period >= $1 AND v.period <= $2 AND v.village_code >= $3 AND v.village_code < $4 AND v.cadre_id <> 0
		GROUP BY v.cadre_id, c.area
		HAVING COUNT(DISTINCT v.period) = 3 AND SUM(CASE WHEN v.no_problem = 0 THEN 1 ELSE 0 END) = 0
		AND EXISTS (SELECT 1 FROM cadre_flags f WHERE f.cadre_id = v.cadre_id AND f.period >= $1 AND f.period <= $2)
		ORDER BY v.cadre_id`, first, period, lo, hi); err != nil {
		return nil, err
	}
	if err := scan("income_jump", `SELECT h.village_code, h.id, 0, CAST(b.year AS TEXT) || ': ' || CAST(a.per_capita AS TEXT) || ' → ' || CAST(b.per_capita AS TEXT)
		FROM incomes b JOIN incomes a ON a.household_id = b.household_id AND a.year = b.year - 1 JOIN households h ON h.id = b.household_id
		WHERE h.village_code >= $1 AND h.village_code < $2 AND b.year <= $3 AND a.per_capita > 0 AND b.per_capita >= 2 * a.per_capita
		AND NOT EXISTS (SELECT 1 FROM shortfalls x WHERE x.household_id = h.id AND x.measure_category <> '')
		AND NOT EXISTS (SELECT 1 FROM monitoring_measures m JOIN monitoring_cases c ON c.id = m.case_id WHERE c.household_id = h.id)
		ORDER BY h.id`, lo, hi, t.Year()); err != nil {
		return nil, err
	}
	if err := scan("duplicate_id", `SELECT MIN(h.village_code), MIN(h.id), 0, 'ID ' || m.id_number || ' in ' || CAST(COUNT(DISTINCT m.household_id) AS TEXT) || ' households'
		FROM members m JOIN households h ON h.id = m.household_id
		WHERE m.id_number IN (SELECT m2.id_number FROM members m2 JOIN households h2 ON h2.id = m2.household_id
			WHERE h2.village_code >= $1 AND h2.village_code < $2)
		GROUP BY m.id_number HAVING COUNT(DISTINCT m.household_id) > 1 ORDER BY m.id_number`, lo, hi); err != nil {
		return nil, err
	}
	if err := scan("dead_counted", `SELECT h.village_code, h.id, 0, m.name FROM members m JOIN households h ON h.id = m.household_id
		WHERE h.village_code >= $1 AND h.village_code < $2 AND m.deceased <> 0 AND m.dibao <> 0 ORDER BY h.id`, lo, hi); err != nil {
		return nil, err
	}
	return out, s.exitsNearLine(ctx, lo, hi, t.Year(), add)
}

// exitsNearLine adds the villages where exits cluster just above the
// line: at least a quarter of the exited households, and three or more,
// with a latest per-capita income less than 10% above the year's line.
func (s *Store) exitsNearLine(ctx context.Context, lo, hi string, year int, add func(Signal)) error {
	params, err := s.Params(ctx)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT h.village_code, i.year, i.per_capita FROM households h
		JOIN incomes i ON i.household_id = h.id AND i.year = (SELECT MAX(year) FROM incomes j WHERE j.household_id = h.id AND j.year <= $3)
		WHERE h.village_code >= $1 AND h.village_code < $2 AND h.status = 'exited'`, lo, hi, year)
	if err != nil {
		return err
	}
	defer rows.Close()
	type tally struct{ exited, near int }
	byVillage := map[string]*tally{}
	var order []string
	for rows.Next() {
		var v string
		var y int
		var pc int64
		if err := rows.Scan(&v, &y, &pc); err != nil {
			return err
		}
		t := byVillage[v]
		if t == nil {
			t = &tally{}
			byVillage[v] = t
			order = append(order, v)
		}
		t.exited++
		if line, ok := params.Lookup(policy.ParamExitLine, v, y); ok && pc >= line.Value && pc*10 < line.Value*11 {
			t.near++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range order {
		if t := byVillage[v]; t.near >= 3 && t.near*4 >= t.exited {
			add(Signal{Kind: "exit_near_line", Area: v, Detail: strconv.Itoa(t.near) + "/" + strconv.Itoa(t.exited)})
		}
	}
	return nil
}
