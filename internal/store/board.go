package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"time"

	"tuopin/internal/division"
	"tuopin/internal/registry"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// BoardCell counts one area's shortfall items of one indicator by status.
type BoardCell struct {
	Area       string `json:"area"`
	Name       string `json:"name"`
	Indicator  string `json:"indicator"`
	Open       int64  `json:"open"`
	InProgress int64  `json:"in_progress"`
	Resolved   int64  `json:"resolved"`
	Verified   int64  `json:"verified"`
	Overdue    int64  `json:"overdue"`
}

// Unresolved is what the board drives to zero (清零): items not yet
// resolved.
func (c BoardCell) Unresolved() int64 { return c.Open + c.InProgress }

// TrendPoint is a month of the trend: items opened and resolved in it.
type TrendPoint struct {
	Period   string `json:"period"`
	Opened   int64  `json:"opened"`
	Resolved int64  `json:"resolved"`
}

// Board is the 清零 board of an area: items by sub-area and indicator,
// totals by indicator, and the trend of the last twelve months to period.
type Board struct {
	Area      string       `json:"area"`
	Period    string       `json:"period"`
	Areas     []BoardCell  `json:"areas"`
	Totals    []BoardCell  `json:"totals"`
	Trend     []TrendPoint `json:"trend"`
	Unresolve int64        `json:"unresolved"`
	Overdue   int64        `json:"overdue"`
}

// Board reads the board for an area in scope from the kept counts; the
// overdue counts and the trend come from the items' indexes.
func (s *Store) Board(ctx context.Context, p auth.Principal, area, period string) (*Board, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	end, err := time.Parse("2006-01", period)
	if err != nil {
		return nil, fault.Fields([]fault.FieldError{{Field: "period", Value: period, Reason: i18n.M("reason.period")}})
	}
	lo, hi := auth.AreaRange(area)
	sub := map[int]int{0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}[len(area)]
	b := &Board{Area: area, Period: period, Areas: []BoardCell{}, Totals: []BoardCell{}, Trend: []TrendPoint{}}
	cells := map[[2]string]*BoardCell{}
	totals := map[string]*BoardCell{}
	cell := func(a, ind string) *BoardCell {
		k := [2]string{a, ind}
		if c := cells[k]; c != nil {
			return c
		}
		c := &BoardCell{Area: a, Indicator: ind}
		if d, ok := s.div.Get(a); ok {
			c.Name = d.Name
		}
		cells[k] = c
		if totals[ind] == nil {
			totals[ind] = &BoardCell{Area: area, Indicator: ind}
			if d, ok := s.div.Get(area); ok {
				totals[ind].Name = d.Name
			}
		}
		return c
	}
	// Sums by sub-area and indicator in SQL; a county or wider area reads
	// the township sums, one row per township, indicator and status.
	counts, areaCol := "board_counts", "village_code"
	if sub <= 9 {
		counts, areaCol = "board_town_counts", "area_code"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT substr(`+areaCol+`, 1, $3), indicator,
		SUM(CASE WHEN status = 'open' THEN n ELSE 0 END), SUM(CASE WHEN status = 'in_progress' THEN n ELSE 0 END),
		SUM(CASE WHEN status = 'resolved' THEN n ELSE 0 END), SUM(CASE WHEN status = 'verified' THEN n ELSE 0 END)
		FROM `+counts+` WHERE `+areaCol+` >= $1 AND `+areaCol+` < $2 GROUP BY substr(`+areaCol+`, 1, $3), indicator
		HAVING SUM(n) <> 0`, lo, hi, sub)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a, ind string
		var x BoardCell
		if err := rows.Scan(&a, &ind, &x.Open, &x.InProgress, &x.Resolved, &x.Verified); err != nil {
			rows.Close()
			return nil, err
		}
		for _, c := range []*BoardCell{cell(a, ind), totals[ind]} {
			c.Open += x.Open
			c.InProgress += x.InProgress
			c.Resolved += x.Resolved
			c.Verified += x.Verified
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := s.now().Format("2006-01-02")
	orows, err := s.r.QueryContext(ctx, `SELECT substr(village_code, 1, $4), indicator, SUM(n) FROM board_deadlines WHERE village_code >= $1 AND village_code < $2
		AND deadline < $3 GROUP BY substr(village_code, 1, $4), indicator HAVING SUM(n) <> 0`, lo, hi, today, sub)
	if err != nil {
		return nil, err
	}
	for orows.Next() {
		var v, ind string
		var n int64
		if err := orows.Scan(&v, &ind, &n); err != nil {
			orows.Close()
			return nil, err
		}
		cell(v, ind).Overdue += n
		totals[ind].Overdue += n
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return nil, err
	}
	for _, c := range cells {
		b.Areas = append(b.Areas, *c)
	}
	sort.Slice(b.Areas, func(i, j int) bool {
		if b.Areas[i].Area != b.Areas[j].Area {
			return b.Areas[i].Area < b.Areas[j].Area
		}
		return b.Areas[i].Indicator < b.Areas[j].Indicator
	})
	for _, c := range totals {
		b.Totals = append(b.Totals, *c)
		b.Unresolve += c.Unresolved()
		b.Overdue += c.Overdue
	}
	sort.Slice(b.Totals, func(i, j int) bool { return b.Totals[i].Indicator < b.Totals[j].Indicator })

	// Trend: items opened and resolved in each of the twelve months.
	first := end.AddDate(0, -11, 0).Format("2006-01")
	byPeriod := map[string]*TrendPoint{}
	for m := 0; m < 12; m++ {
		p := end.AddDate(0, m-11, 0).Format("2006-01")
		byPeriod[p] = &TrendPoint{Period: p}
		b.Trend = append(b.Trend, TrendPoint{Period: p})
	}
	trows, err := s.r.QueryContext(ctx, `SELECT period, kind, SUM(n) FROM board_trend WHERE village_code >= $1 AND village_code < $2
		AND period >= $3 AND period <= $4 GROUP BY period, kind`, lo, hi, first, period)
	if err != nil {
		return nil, err
	}
	for trows.Next() {
		var p, kind string
		var n int64
		if err := trows.Scan(&p, &kind, &n); err != nil {
			trows.Close()
			return nil, err
		}
		if t := byPeriod[p]; t != nil && kind == "opened" {
			t.Opened = n
		} else if t != nil {
			t.Resolved = n
		}
	}
	trows.Close()
	if err := trows.Err(); err != nil {
		return nil, err
	}
	for i := range b.Trend {
		b.Trend[i] = *byPeriod[b.Trend[i].Period]
	}
	return b, nil
}

// BoardDiff is a kept board count that does not match the items: the
// table, the village and the rest of the key (indicator and status,
// month and kind, or indicator and deadline).
type BoardDiff struct {
	Table   string `json:"table"`
	Village string `json:"village_code"`
	Key     string `json:"key"`
	Kept    int64  `json:"kept"`
	Counted int64  `json:"counted"`
}

// recounts are, per kept table, the query that counts it again from the
// items.
var recounts = map[string]string{
	"board_counts": `SELECT village_code, indicator, status, COUNT(*) FROM shortfalls GROUP BY village_code, indicator, status`,
	"board_town_counts": `SELECT substr(village_code, 1, 9), indicator, status, COUNT(*) FROM shortfalls
		GROUP BY substr(village_code, 1, 9), indicator, status`,
	"board_trend": `SELECT village_code, opened_period, 'opened', COUNT(*) FROM shortfalls GROUP BY village_code, opened_period
		UNION ALL SELECT village_code, substr(resolved_at, 1, 7), 'resolved', COUNT(*) FROM shortfalls WHERE resolved_at <> ''
		GROUP BY village_code, substr(resolved_at, 1, 7)`,
	"board_deadlines": `SELECT village_code, indicator, deadline, COUNT(*) FROM shortfalls WHERE status IN ('open', 'in_progress')
		AND deadline <> '' GROUP BY village_code, indicator, deadline`,
}

// CheckBoard recounts the items, the households and the month's visits
// and compares with every kept count; it returns every count that differs.
func (s *Store) CheckBoard(ctx context.Context) ([]BoardDiff, error) {
	// Each check reads the kept counts and the recount as rows of
	// (village, key, key, n).
	type check struct{ table, kept, counted string }
	var checks []check
	for table, k := range tallyKeys {
		checks = append(checks, check{table, `SELECT ` + k[0] + `, ` + k[1] + `, ` + k[2] + `, n FROM ` + table, recounts[table]})
	}
	checks = append(checks,
		check{"village_households", `SELECT village_code, '', '', n FROM village_households`,
			`SELECT village_code, '', '', COUNT(*) FROM households GROUP BY village_code`},
		check{"coverage_counts", `SELECT village_code, period, '', n FROM coverage_counts`,
			`SELECT village_code, period, '', COUNT(DISTINCT household_id) FROM visits WHERE cadre_id <> 0 AND cadre_id = paired_cadre_id GROUP BY village_code, period`})
	var out []BoardDiff
	for _, c := range checks {
		read := func(q string) (map[tally]int64, error) {
			m := map[tally]int64{}
			rows, err := s.r.QueryContext(ctx, q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			for rows.Next() {
				t := tally{table: c.table}
				var n int64
				if err := rows.Scan(&t.village, &t.k1, &t.k2, &n); err != nil {
					return nil, err
				}
				m[t] += n
			}
			return m, rows.Err()
		}
		kept, err := read(c.kept)
		if err != nil {
			return nil, err
		}
		counted, err := read(c.counted)
		if err != nil {
			return nil, err
		}
		key := func(t tally) string { return strings.TrimSpace(t.k1 + " " + t.k2) }
		for t, n := range counted {
			if kept[t] != n {
				out = append(out, BoardDiff{c.table, t.village, key(t), kept[t], n})
			}
		}
		for t, n := range kept {
			if _, ok := counted[t]; !ok && n != 0 {
				out = append(out, BoardDiff{c.table, t.village, key(t), n, 0})
			}
		}
	}
	slices.SortFunc(out, func(a, b BoardDiff) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Village, b.Village), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// tally is one kept count of the board: a table, the village and the two
// other parts of its key.
type tally struct {
	table   string
	village string
	k1, k2  string
}

// tallyKeys names, for each kept table, the columns of its key: the area
// (a village, or a township for the township sums) and two more.
var tallyKeys = map[string][3]string{
	"board_counts":      {"village_code", "indicator", "status"},
	"board_town_counts": {"area_code", "indicator", "status"},
	"board_trend":       {"village_code", "period", "kind"},
	"board_deadlines":   {"village_code", "indicator", "deadline"},
}

// talliesOf lists the kept counts an item in state x adds one to: its
// status, the month it was opened, the month it was resolved, and, while
// unresolved, its deadline.
func talliesOf(x *registry.Shortfall) []tally {
	out := []tally{
		{"board_counts", x.VillageCode, x.Indicator, x.Status},
		{"board_town_counts", x.VillageCode[:min(9, len(x.VillageCode))], x.Indicator, x.Status},
		{"board_trend", x.VillageCode, x.OpenedPeriod, "opened"},
	}
	if len(x.ResolvedAt) >= 7 {
		out = append(out, tally{"board_trend", x.VillageCode, x.ResolvedAt[:7], "resolved"})
	}
	if x.Deadline != "" && (x.Status == registry.ShortfallOpen || x.Status == registry.ShortfallInProgress) {
		out = append(out, tally{"board_deadlines", x.VillageCode, x.Indicator, x.Deadline})
	}
	return out
}

// tallyDelta gathers moves of the kept counts within a transaction, so
// a sync that touches many items writes each count once.
type tallyDelta map[tally]int

// move moves the counts from an item's state before (nil for a new item)
// to after. Counts both states share are left alone.
func (d tallyDelta) move(before, after *registry.Shortfall) {
	if before != nil {
		for _, t := range talliesOf(before) {
			d[t]--
		}
	}
	for _, t := range talliesOf(after) {
		d[t]++
	}
}

// flush writes the gathered moves in the caller's transaction.
func (d tallyDelta) flush(ctx context.Context, tx *sql.Tx) error {
	// A fixed order, so two transactions on PostgreSQL take row locks in
	// the same order and cannot deadlock.
	keys := make([]tally, 0, len(d))
	for t, n := range d {
		if n != 0 {
			keys = append(keys, t)
		}
	}
	slices.SortFunc(keys, func(a, b tally) int {
		return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.village, b.village), cmp.Compare(a.k1, b.k1), cmp.Compare(a.k2, b.k2))
	})
	for _, t := range keys {
		k := tallyKeys[t.table]
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (`+k[0]+`, `+k[1]+`, `+k[2]+`, county, n) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (`+k[0]+`, `+k[1]+`, `+k[2]+`) DO UPDATE SET n = `+t.table+`.n + excluded.n`,
			t.village, t.k1, t.k2, division.CountyOf(t.village), d[t]); err != nil {
			return err
		}
	}
	clear(d)
	return nil
}
