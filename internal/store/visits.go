package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// RecordVisit stores a visit and applies what it observed to the
// household, its members and its income, with history and audit entries,
// all in one transaction. Concurrent visits to one household are applied
// one after the other, so neither loses the other's changes.
func (s *Store) RecordVisit(ctx context.Context, p auth.Principal, v *registry.Visit) error {
	return s.RecordVisitThen(ctx, p, v, nil)
}

// AfterVisit runs inside a visit's transaction with the household as the
// visit left it (members and incomes included) and a finding writer bound
// to that transaction: the re-assessment commits with the visit, or
// neither does.
type AfterVisit func(w *FindingWriter, h *registry.Household) error

// RecordVisitThen is RecordVisit with then run in its transaction.
func (s *Store) RecordVisitThen(ctx context.Context, p auth.Principal, v *registry.Visit, then AfterVisit) error {
	if !p.CanVisit() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	chk := s.Checker()
	if errs := chk.Visit(v); len(errs) > 0 {
		return fault.Fields(errs)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.Dialect == Postgres {
			// SQLite's writer is already alone; on PostgreSQL the row lock
			// makes a second visit wait and then read the first one's facts.
			if _, err := tx.ExecContext(ctx, `SELECT id FROM households WHERE id = $1 FOR UPDATE`, v.HouseholdID); err != nil {
				return err
			}
		}
		h, err := s.getHousehold(ctx, tx, p, v.HouseholdID)
		if err != nil {
			return err
		}
		if h.Members, err = s.members(ctx, tx, h.ID); err != nil {
			return err
		}
		before := h
		before.Members = append([]registry.Member(nil), h.Members...)
		changed, errs := v.Facts.Apply(&h)
		if err := s.applyVisitFacts(ctx, tx, p, chk, &before, &h, changed, v.Facts.Income, errs); err != nil {
			return err
		}
		v.County, v.VillageCode, v.Visitor, v.CreatedAt = h.County, h.VillageCode, p.Username, s.now()
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(cadre_id), 0) FROM pairings WHERE household_id = $1 AND end_date = ''`, h.ID).Scan(&v.PairedCadreID); err != nil {
			return err
		}
		if p.Username != "" {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM cadres WHERE username = $1`, p.Username).Scan(&v.CadreID); err != nil {
				return err
			}
		}
		facts, err := json.Marshal(v.Facts)
		if err != nil {
			return err
		}
		if err := countCoverage(ctx, tx, h.ID, h.VillageCode, v.Period, v.CadreID != 0 && v.CadreID == v.PairedCadreID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO visits (county, household_id, village_code, visit_date, period, kind, visitor, cadre_id, paired_cadre_id,
			facts, no_problem, notes, lat, lng, photo, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			v.County, v.HouseholdID, v.VillageCode, v.Date, v.Period, v.Kind, v.Visitor, v.CadreID, v.PairedCadreID,
			string(facts), b2i(v.NoProblem), v.Notes, v.Lat, v.Lng, v.Photo, v.CreatedAt.UTC().Format(time.RFC3339Nano)).Scan(&v.ID); err != nil {
			return err
		}
		if err := s.logChange(ctx, tx, p, h.County, "visit", v.ID, h.ID, "create", nil, v); err != nil {
			return err
		}
		if len(v.Facts.Risks) > 0 {
			// A risk seen on a visit is a lead from the cadre's screening
			// (干部排查), unless the household already has a case.
			c := registry.Case{HouseholdID: h.ID, Channel: "cadre_screening", Source: "visit:" + strconv.FormatInt(v.ID, 10), Risks: v.Facts.Risks, LeadDate: v.Date}
			if v.CaseID, err = s.openCase(ctx, tx, p, &c, v.Notes); err != nil {
				return err
			}
		}
		if then == nil {
			return nil
		}
		if h.Incomes, err = s.incomes(ctx, tx, h.ID); err != nil {
			return err
		}
		w := &FindingWriter{s: s, ctx: ctx, stamp: s.stamp(), chunk: math.MaxInt}
		w.use(tx)
		if err := then(w, &h); err != nil {
			w.snaps.close()
			w.finds.close()
			return err
		}
		return w.flush()
	})
}

// applyVisitFacts checks and stores what a visit changed: the household's
// own fields, the members it observed and a year's income.
func (s *Store) applyVisitFacts(ctx context.Context, tx *sql.Tx, p auth.Principal, chk registry.Checker, before, h *registry.Household,
	changed []int, income *registry.Income, errs []fault.FieldError) error {
	h.Incomes = nil
	errs = append(errs, chk.Household(h)...)
	for _, i := range changed {
		for _, e := range chk.Member(&h.Members[i]) {
			e.Field = "members." + e.Field
			errs = append(errs, e)
		}
	}
	if income != nil {
		errs = append(errs, chk.Income(income)...)
	}
	if len(errs) > 0 {
		return fault.Fields(errs)
	}
	now := s.now()
	if fmt.Sprint(householdArgs(before)) != fmt.Sprint(householdArgs(h)) {
		h.Version, h.UpdatedAt = before.Version+1, now
		args := append(householdArgs(h), h.ID)
		if _, err := tx.ExecContext(ctx, "UPDATE households SET "+setList(householdCols)+" WHERE id = $"+strconv.Itoa(len(args)), args...); err != nil {
			return err
		}
		if err := s.logChange(ctx, tx, p, h.County, "household", h.ID, h.ID, "visit", before, h); err != nil {
			return err
		}
	}
	for _, i := range changed {
		m, old := &h.Members[i], before.Members[i]
		if fmt.Sprint(memberArgs(&old)) == fmt.Sprint(memberArgs(m)) {
			continue
		}
		m.Version = old.Version + 1
		args := append(memberArgs(m), m.ID)
		if _, err := tx.ExecContext(ctx, "UPDATE members SET "+setList(memberCols)+" WHERE id = $"+strconv.Itoa(len(args)), args...); err != nil {
			return err
		}
		if err := s.logChange(ctx, tx, p, h.County, "member", m.ID, h.ID, "visit", old, m); err != nil {
			return err
		}
	}
	if income != nil {
		return s.storeIncome(ctx, tx, p, h, income, "visit", nil)
	}
	return nil
}

// Visits lists a household's visits, newest first.
func (s *Store) Visits(ctx context.Context, p auth.Principal, householdID int64) ([]registry.Visit, error) {
	if _, err := s.getHousehold(ctx, s.r, p, householdID); err != nil {
		return nil, err
	}
	return s.visits(ctx, `household_id = $1 ORDER BY visit_date DESC, id DESC`, householdID)
}

// Visit returns one visit in scope.
func (s *Store) Visit(ctx context.Context, p auth.Principal, id int64) (registry.Visit, error) {
	lo, hi := p.ScopeRange()
	vs, err := s.visits(ctx, `id = $1 AND village_code >= $2 AND village_code < $3`, id, lo, hi)
	if err != nil {
		return registry.Visit{}, err
	}
	if len(vs) == 0 {
		return registry.Visit{}, notFound()
	}
	return vs[0], nil
}

func (s *Store) visits(ctx context.Context, where string, args ...any) ([]registry.Visit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, county, household_id, village_code, visit_date, period, kind, visitor, cadre_id, paired_cadre_id,
		facts, no_problem, notes, lat, lng, photo, created_at FROM visits WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Visit{}
	for rows.Next() {
		var v registry.Visit
		var facts, created string
		var noProblem int
		if err := rows.Scan(&v.ID, &v.County, &v.HouseholdID, &v.VillageCode, &v.Date, &v.Period, &v.Kind, &v.Visitor, &v.CadreID, &v.PairedCadreID,
			&facts, &noProblem, &v.Notes, &v.Lat, &v.Lng, &v.Photo, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(facts), &v.Facts); err != nil {
			return nil, err
		}
		v.NoProblem = noProblem == 1
		v.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		out = append(out, v)
	}
	return out, rows.Err()
}

// CoverageRow is the visit coverage of one area for a month: households,
// those visited by their paired cadre, those visited only by others, and
// those without a paired cadre.
type CoverageRow struct {
	Area            string  `json:"area"`
	Name            string  `json:"name"`
	Households      int64   `json:"households"`
	ByPairedCadre   int64   `json:"by_paired_cadre"`
	OnlyByOthers    int64   `json:"only_by_others"`
	NoPairedCadre   int64   `json:"no_paired_cadre"`
	Rate            float64 `json:"rate"` // by paired cadre ÷ households
	CadreID         int64   `json:"cadre_id,omitempty"`
	CadreName       string  `json:"cadre_name,omitempty"`
	CadreUnit       string  `json:"cadre_unit,omitempty"`
	HouseholdNumber string  `json:"household_number,omitempty"`
}

// Coverage is a month's visit coverage (一月一走访) in an area: totals, by
// sub-area, by cadre, and the first households missed.
type Coverage struct {
	Area   string        `json:"area"`
	Period string        `json:"period"`
	Total  CoverageRow   `json:"total"`
	Areas  []CoverageRow `json:"areas"`
	Cadres []CoverageRow `json:"cadres"`
	Missed []Missed      `json:"missed"`
}

// Missed is a household its paired cadre did not visit in the month.
type Missed struct {
	HouseholdID int64  `json:"household_id"`
	Number      string `json:"number"`
	HeadName    string `json:"head_name"`
	Village     string `json:"village_code"`
	CadreName   string `json:"cadre_name"`
}

// coveredBy is true for a household visited in the month ($1) by its
// paired cadre.
const coveredBy = `EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id AND v.period = $1 AND v.cadre_id <> 0 AND v.cadre_id = v.paired_cadre_id)`

// VisitCoverage counts a month's coverage in an area within scope.
func (s *Store) VisitCoverage(ctx context.Context, p auth.Principal, area, period string) (*Coverage, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	if _, err := time.Parse("2006-01", period); err != nil {
		return nil, fault.Fields([]fault.FieldError{{Field: "period", Value: period, Reason: i18n.M("reason.period")}})
	}
	lo, hi := auth.AreaRange(area)
	out := &Coverage{Area: area, Period: period, Areas: []CoverageRow{}, Cadres: []CoverageRow{}, Missed: []Missed{}}
	sub := map[int]int{0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}[len(area)]
	rows, err := s.r.QueryContext(ctx, `SELECT h.village_code, COUNT(*),
		SUM(CASE WHEN `+coveredBy+` THEN 1 ELSE 0 END),
		SUM(CASE WHEN NOT `+coveredBy+` AND EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id AND v.period = $1) THEN 1 ELSE 0 END),
		SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM pairings pr WHERE pr.household_id = h.id AND pr.end_date = '') THEN 1 ELSE 0 END)
		FROM households h WHERE h.village_code >= $2 AND h.village_code < $3 GROUP BY h.village_code ORDER BY h.village_code`, period, lo, hi)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for rows.Next() {
		var village string
		var r CoverageRow
		if err := rows.Scan(&village, &r.Households, &r.ByPairedCadre, &r.OnlyByOthers, &r.NoPairedCadre); err != nil {
			rows.Close()
			return nil, err
		}
		key := village[:min(sub, len(village))]
		i, ok := idx[key]
		if !ok {
			i = len(out.Areas)
			idx[key] = i
			name := ""
			if d, ok := s.div.Get(key); ok {
				name = d.Name
			}
			out.Areas = append(out.Areas, CoverageRow{Area: key, Name: name})
		}
		a := &out.Areas[i]
		a.Households += r.Households
		a.ByPairedCadre += r.ByPairedCadre
		a.OnlyByOthers += r.OnlyByOthers
		a.NoPairedCadre += r.NoPairedCadre
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out.Total = CoverageRow{Area: area}
	if d, ok := s.div.Get(area); ok {
		out.Total.Name = d.Name
	}
	for i := range out.Areas {
		a := &out.Areas[i]
		a.Rate = rateOf(a.ByPairedCadre, a.Households)
		out.Total.Households += a.Households
		out.Total.ByPairedCadre += a.ByPairedCadre
		out.Total.OnlyByOthers += a.OnlyByOthers
		out.Total.NoPairedCadre += a.NoPairedCadre
	}
	out.Total.Rate = rateOf(out.Total.ByPairedCadre, out.Total.Households)

	crows, err := s.r.QueryContext(ctx, `SELECT c.id, c.name, c.unit, c.area, COUNT(*),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id AND v.period = $1 AND v.cadre_id = c.id) THEN 1 ELSE 0 END)
		FROM pairings pr JOIN cadres c ON c.id = pr.cadre_id JOIN households h ON h.id = pr.household_id
		WHERE pr.end_date = '' AND h.village_code >= $2 AND h.village_code < $3
		GROUP BY c.id, c.name, c.unit, c.area ORDER BY c.area, c.id`, period, lo, hi)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var r CoverageRow
		if err := crows.Scan(&r.CadreID, &r.CadreName, &r.CadreUnit, &r.Area, &r.Households, &r.ByPairedCadre); err != nil {
			crows.Close()
			return nil, err
		}
		r.Rate = rateOf(r.ByPairedCadre, r.Households)
		out.Cadres = append(out.Cadres, r)
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return nil, err
	}
	mrows, err := s.r.QueryContext(ctx, `SELECT h.id, h.number, h.head_name, h.village_code, COALESCE(c.name, '')
		FROM households h LEFT JOIN pairings pr ON pr.household_id = h.id AND pr.end_date = '' LEFT JOIN cadres c ON c.id = pr.cadre_id
		WHERE h.village_code >= $2 AND h.village_code < $3 AND NOT `+coveredBy+`
		ORDER BY h.village_code, h.number LIMIT 200`, period, lo, hi)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var m Missed
		if err := mrows.Scan(&m.HouseholdID, &m.Number, &m.HeadName, &m.Village, &m.CadreName); err != nil {
			return nil, err
		}
		out.Missed = append(out.Missed, m)
	}
	return out, mrows.Err()
}

func rateOf(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
