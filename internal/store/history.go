package store

import (
	"context"
	"database/sql"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/registry"
)

var visitCols = []string{"county", "household_id", "village_code", "visit_date", "period", "kind", "visitor", "cadre_id", "paired_cadre_id",
	"facts", "no_problem", "notes", "photo", "created_at"}

// VisitBatch writes many routine visits in one transaction with multi-row
// INSERTs: visits that observed nothing new, so no record changes and
// nothing is re-assessed. The demo's year of history uses it. The batch
// as a whole is one audit entry, as an import is; a visit that changes a
// record goes through RecordVisit instead.
type VisitBatch struct {
	s      *Store
	ctx    context.Context
	tx     *sql.Tx
	actor  auth.Principal
	visits *batch
	county string
	n      int
	first  string
	last   string
	// covered holds, per month, the households this batch visits by their
	// own paired cadre, with their village, for the kept coverage counts;
	// before is the last visit ID before the batch.
	covered map[string]map[int64]string
	before  int64
}

// BeginVisits opens the transaction of a visit batch.
func (s *Store) BeginVisits(ctx context.Context, actor auth.Principal) (*VisitBatch, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	b := &VisitBatch{s: s, ctx: ctx, tx: tx, actor: actor, visits: newBatch(tx, s.Dialect, "visits", visitCols, ""), covered: map[string]map[int64]string{}}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM visits`).Scan(&b.before); err != nil {
		tx.Rollback()
		return nil, err
	}
	return b, nil
}

// Add queues a routine visit; County, VillageCode, Period, Visitor and
// the cadre IDs must be filled by the caller.
func (b *VisitBatch) Add(v *registry.Visit) error {
	if b.first == "" || v.Date < b.first {
		b.first = v.Date
	}
	if v.Date > b.last {
		b.last = v.Date
	}
	b.county = v.County
	b.n++
	if v.CadreID != 0 && v.CadreID == v.PairedCadreID {
		if b.covered[v.Period] == nil {
			b.covered[v.Period] = map[int64]string{}
		}
		b.covered[v.Period][v.HouseholdID] = v.VillageCode
	}
	facts := "{}"
	return b.visits.add(b.ctx, v.County, v.HouseholdID, v.VillageCode, v.Date, v.Period, v.Kind, v.Visitor, v.CadreID, v.PairedCadreID,
		facts, b2i(v.NoProblem), v.Notes, v.Photo, b.s.now().UTC().Format(time.RFC3339Nano))
}

// Commit writes the batch's audit entry (how many visits, which dates)
// and commits.
func (b *VisitBatch) Commit() error {
	defer b.visits.close()
	if err := b.visits.flush(b.ctx); err != nil {
		b.tx.Rollback()
		return err
	}
	for period, households := range b.covered {
		if err := b.countCoverage(period, households); err != nil {
			b.tx.Rollback()
			return err
		}
	}
	if b.n > 0 {
		summary := map[string]any{"visits": b.n, "from": b.first, "to": b.last}
		if err := b.s.logChange(b.ctx, b.tx, b.actor, b.county, "visit_batch", 0, 0, "create", nil, summary); err != nil {
			b.tx.Rollback()
			return err
		}
	}
	return b.tx.Commit()
}

// Rollback abandons the batch.
func (b *VisitBatch) Rollback() error {
	b.visits.close()
	return b.tx.Rollback()
}

// countCoverage adds to a month's kept coverage the batch's households
// that no earlier visit of the month had covered.
func (b *VisitBatch) countCoverage(period string, households map[int64]string) error {
	rows, err := b.tx.QueryContext(b.ctx, `SELECT household_id FROM visits WHERE period = $1 AND id <= $2 AND cadre_id <> 0 AND cadre_id = paired_cadre_id`,
		period, b.before)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		delete(households, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	byVillage := map[string]int{}
	for _, v := range households {
		byVillage[v]++
	}
	for v, n := range byVillage {
		if _, err := b.tx.ExecContext(b.ctx, `INSERT INTO coverage_counts (period, village_code, county, n) VALUES ($1, $2, $3, $4)
			ON CONFLICT (period, village_code) DO UPDATE SET n = coverage_counts.n + excluded.n`, period, v, division.CountyOf(v), n); err != nil {
			return err
		}
	}
	return nil
}
