package store

import (
	"context"
	"database/sql"
	"fmt"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
)

// bumpVillageHouseholds moves a village's kept household count by delta in
// the caller's transaction.
func bumpVillageHouseholds(ctx context.Context, tx *sql.Tx, village string, delta int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO village_households (village_code, county, n) VALUES ($1, $2, $3)
		ON CONFLICT (village_code) DO UPDATE SET n = village_households.n + excluded.n`, village, division.CountyOf(village), delta)
	return err
}

// countCoverage counts a visit in the month's coverage when it is the
// first by the household's own paired cadre; it runs in the visit's
// transaction before the visit is inserted.
func countCoverage(ctx context.Context, tx *sql.Tx, householdID int64, village, period string, byPaired bool) error {
	if !byPaired {
		return nil
	}
	var seen int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM visits WHERE period = $1 AND household_id = $2 AND cadre_id <> 0 AND cadre_id = paired_cadre_id`,
		period, householdID).Scan(&seen); err != nil || seen > 0 {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO coverage_counts (period, village_code, county, n) VALUES ($1, $2, $3, 1)
		ON CONFLICT (period, village_code) DO UPDATE SET n = coverage_counts.n + 1`, period, village, division.CountyOf(village))
	return err
}

// moveVillageHousehold moves one household's count between villages when
// an edit changed its village.
func moveVillageHousehold(ctx context.Context, tx *sql.Tx, from, to string) error {
	if from == to {
		return nil
	}
	if err := bumpVillageHouseholds(ctx, tx, from, -1); err != nil {
		return err
	}
	return bumpVillageHouseholds(ctx, tx, to, 1)
}

// CoverageSummary is a month's coverage by paired cadre for an area and
// its sub-areas from the kept counts: households and households visited
// by their own paired cadre. It reads one row per village, so the board
// and the workbench show it at any county size; VisitCoverage adds the
// per-cadre rows, the visits by others and the households missed.
func (s *Store) CoverageSummary(ctx context.Context, p auth.Principal, area, period string) (*Coverage, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	lo, hi := auth.AreaRange(area)
	sub := map[int]int{0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}[len(area)]
	out := &Coverage{Area: area, Period: period, Areas: []CoverageRow{}, Cadres: []CoverageRow{}, Missed: []Missed{}}
	rows, err := s.r.QueryContext(ctx, `SELECT substr(vh.village_code, 1, $4), SUM(vh.n), SUM(COALESCE(cc.n, 0))
		FROM village_households vh LEFT JOIN coverage_counts cc ON cc.village_code = vh.village_code AND cc.period = $1
		WHERE vh.village_code >= $2 AND vh.village_code < $3 GROUP BY substr(vh.village_code, 1, $4) ORDER BY 1`, period, lo, hi, sub)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out.Total = CoverageRow{Area: area}
	if d, ok := s.div.Get(area); ok {
		out.Total.Name = d.Name
	}
	for rows.Next() {
		var r CoverageRow
		if err := rows.Scan(&r.Area, &r.Households, &r.ByPairedCadre); err != nil {
			return nil, err
		}
		if r.Households == 0 {
			continue
		}
		if d, ok := s.div.Get(r.Area); ok {
			r.Name = d.Name
		}
		r.Rate = rateOf(r.ByPairedCadre, r.Households)
		out.Areas = append(out.Areas, r)
		out.Total.Households += r.Households
		out.Total.ByPairedCadre += r.ByPairedCadre
	}
	out.Total.Rate = rateOf(out.Total.ByPairedCadre, out.Total.Households)
	return out, rows.Err()
}

// WriteStamp changes whenever anything is written: the audit chain's head
// (every write but findings), the latest assessment run (findings), the
// policy epoch and the registry epoch. Caches of reports built from many
// rows are valid while it stays the same.
func (s *Store) WriteStamp(ctx context.Context) (string, error) {
	var seq, run, pol, reg int64
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT seq FROM audit_head WHERE id = 1), (SELECT COALESCE(MAX(id), 0) FROM assessment_runs),
		(SELECT epoch FROM policy_epoch), (SELECT epoch FROM registry_epoch)`).Scan(&seq, &run, &pol, &reg)
	return fmt.Sprintf("%d:%d:%d:%d", seq, run, pol, reg), err
}
