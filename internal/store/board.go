package store

import (
	"context"
	"sort"
	"time"

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
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, indicator, status, n FROM board_counts WHERE village_code >= $1 AND village_code < $2 AND n <> 0`, lo, hi)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v, ind, st string
		var n int64
		if err := rows.Scan(&v, &ind, &st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		for _, c := range []*BoardCell{cell(v[:min(sub, len(v))], ind), totals[ind]} {
			switch st {
			case "open":
				c.Open += n
			case "in_progress":
				c.InProgress += n
			case "resolved":
				c.Resolved += n
			case "verified":
				c.Verified += n
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := s.now().Format("2006-01-02")
	orows, err := s.r.QueryContext(ctx, `SELECT village_code, indicator, COUNT(*) FROM shortfalls WHERE village_code >= $1 AND village_code < $2
		AND status IN ('open', 'in_progress') AND deadline <> '' AND deadline < $3 GROUP BY village_code, indicator`, lo, hi, today)
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
		cell(v[:min(sub, len(v))], ind).Overdue += n
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
	trows, err := s.r.QueryContext(ctx, `SELECT opened_period, COUNT(*) FROM shortfalls WHERE village_code >= $1 AND village_code < $2
		AND opened_period >= $3 AND opened_period <= $4 GROUP BY opened_period`, lo, hi, first, period)
	if err != nil {
		return nil, err
	}
	for trows.Next() {
		var p string
		var n int64
		if err := trows.Scan(&p, &n); err != nil {
			trows.Close()
			return nil, err
		}
		if t := byPeriod[p]; t != nil {
			t.Opened = n
		}
	}
	trows.Close()
	rrows, err := s.r.QueryContext(ctx, `SELECT substr(resolved_at, 1, 7), COUNT(*) FROM shortfalls WHERE village_code >= $1 AND village_code < $2
		AND resolved_at >= $3 AND resolved_at < $4 GROUP BY 1`, lo, hi, first, end.AddDate(0, 1, 0).Format("2006-01"))
	if err != nil {
		return nil, err
	}
	for rrows.Next() {
		var p string
		var n int64
		if err := rrows.Scan(&p, &n); err != nil {
			rrows.Close()
			return nil, err
		}
		if t := byPeriod[p]; t != nil {
			t.Resolved = n
		}
	}
	rrows.Close()
	for i := range b.Trend {
		b.Trend[i] = *byPeriod[b.Trend[i].Period]
	}
	return b, nil
}

// BoardDiff is a board count that does not match the items.
type BoardDiff struct {
	Village   string `json:"village_code"`
	Indicator string `json:"indicator"`
	Status    string `json:"status"`
	Kept      int64  `json:"kept"`
	Counted   int64  `json:"counted"`
}

// CheckBoard recounts the items and compares with the kept counts; it
// returns every cell that differs.
func (s *Store) CheckBoard(ctx context.Context) ([]BoardDiff, error) {
	type key struct{ v, ind, st string }
	kept := map[key]int64{}
	rows, err := s.r.QueryContext(ctx, `SELECT village_code, indicator, status, n FROM board_counts`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k key
		var n int64
		if err := rows.Scan(&k.v, &k.ind, &k.st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		kept[k] = n
	}
	rows.Close()
	counted := map[key]int64{}
	crows, err := s.r.QueryContext(ctx, `SELECT village_code, indicator, status, COUNT(*) FROM shortfalls GROUP BY village_code, indicator, status`)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var k key
		var n int64
		if err := crows.Scan(&k.v, &k.ind, &k.st, &n); err != nil {
			crows.Close()
			return nil, err
		}
		counted[k] = n
	}
	crows.Close()
	var out []BoardDiff
	for k, n := range counted {
		if kept[k] != n {
			out = append(out, BoardDiff{k.v, k.ind, k.st, kept[k], n})
		}
	}
	for k, n := range kept {
		if _, ok := counted[k]; !ok && n != 0 {
			out = append(out, BoardDiff{k.v, k.ind, k.st, n, 0})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Village != b.Village {
			return a.Village < b.Village
		}
		if a.Indicator != b.Indicator {
			return a.Indicator < b.Indicator
		}
		return a.Status < b.Status
	})
	return out, nil
}
