package store

import (
	"context"
	"database/sql"
	"time"

	"tuopin/internal/auth"
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
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	actor   auth.Principal
	visits  *batch
	county  string
	n       int
	first   string
	last    string
	periods map[string]bool
}

// BeginVisits opens the transaction of a visit batch.
func (s *Store) BeginVisits(ctx context.Context, actor auth.Principal) (*VisitBatch, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &VisitBatch{s: s, ctx: ctx, tx: tx, actor: actor, visits: newBatch(tx, s.Dialect, "visits", visitCols, "")}, nil
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
	if b.periods == nil {
		b.periods = map[string]bool{}
	}
	b.periods[v.Period] = true
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
	for period := range b.periods {
		if err := recountCoverage(b.ctx, b.tx, period); err != nil {
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
