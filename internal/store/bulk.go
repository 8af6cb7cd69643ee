package store

import (
	"context"
	"database/sql"
	"fmt"

	"tuopin/internal/auth"
	"tuopin/internal/registry"
)

// Bulk writes many new households in one transaction with multi-row
// INSERTs; the importer and the demo generator use it. Nothing is visible
// to others until Commit, and Rollback leaves the database as it was.
type Bulk struct {
	s        *Store
	ctx      context.Context
	tx       *sql.Tx
	actor    auth.Principal
	pending  []*registry.Household
	members  *batch
	incomes  *batch
	homes    *batch
	byNumber map[string]int64
	// KeepIDs makes the bulk remember every household's ID by number
	// (HouseholdID); the demo needs it, the importer does not.
	KeepIDs bool
	// Households and Members count what was written.
	Households, Members int
	// deferred holds the statements that create the indexes DeferIndexes
	// dropped, run again at Commit.
	deferred []string
	// villages counts the households written per village, for the kept
	// counts.
	villages map[string]int
}

// deferredIndexes are the registry's indexes whose keys arrive in random
// order during a bulk load (numbers, names, ID numbers), so each insert
// lands on a different page.
var deferredIndexes = []string{"households_number", "households_village", "households_head", "members_id_number", "members_name"}

// DeferIndexes drops, for the rest of the bulk transaction, the indexes
// whose keys arrive in random order, and builds them again from sorted
// keys at Commit, which on SQLite is several times faster. It does so only
// on SQLite and only when the registry is empty, so nothing in the
// transaction needs them; a unique index that cannot be built fails the
// Commit and nothing is written.
func (b *Bulk) DeferIndexes() error {
	if b.s.Dialect != SQLite {
		return nil
	}
	var n int
	if err := b.tx.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM households LIMIT 1)`).Scan(&n); err != nil || n > 0 {
		return err
	}
	for _, name := range deferredIndexes {
		var ddl string
		if err := b.tx.QueryRowContext(b.ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1`, name).Scan(&ddl); err != nil {
			if isNoRows(err) {
				continue
			}
			return err
		}
		if _, err := b.tx.ExecContext(b.ctx, `DROP INDEX `+name); err != nil {
			return err
		}
		b.deferred = append(b.deferred, ddl)
	}
	return nil
}

// BeginBulk opens the transaction of a bulk write.
func (s *Store) BeginBulk(ctx context.Context, actor auth.Principal) (*Bulk, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	b := &Bulk{s: s, ctx: ctx, tx: tx, actor: actor, byNumber: map[string]int64{}}
	b.homes = newBatch(tx, s.Dialect, "households", householdCols, " RETURNING id, number")
	b.homes.per = 100
	b.members = newBatch(tx, s.Dialect, "members", memberCols, "")
	b.incomes = newBatch(tx, s.Dialect, "incomes", incomeCols, "")
	return b, nil
}

// AddHousehold queues a new, already validated household. Its ID and its
// members' IDs are known after the next flush.
func (b *Bulk) AddHousehold(h *registry.Household) error {
	setPerCapita(h)
	now := b.s.now()
	if h.CreatedAt.IsZero() {
		h.CreatedAt = now
	}
	h.UpdatedAt, h.Version = now, 1
	b.pending = append(b.pending, h)
	if len(b.pending) == b.homes.per {
		return b.flush()
	}
	return nil
}

func (b *Bulk) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	byNumber := make(map[string]*registry.Household, len(b.pending))
	b.homes.returning = func(rows *sql.Rows) error {
		var id int64
		var number string
		if err := rows.Scan(&id, &number); err != nil {
			return err
		}
		h := byNumber[number]
		if h == nil {
			return fmt.Errorf("bulk insert returned unknown household %s", number)
		}
		h.ID = id
		return nil
	}
	for _, h := range b.pending {
		byNumber[h.Number] = h
		if err := b.homes.add(b.ctx, householdArgs(h)...); err != nil {
			return err
		}
	}
	if b.homes.n > 0 {
		if err := b.homes.flush(b.ctx); err != nil {
			return err
		}
	}
	for _, h := range b.pending {
		if h.ID == 0 {
			return fmt.Errorf("bulk insert: no id for household %s", h.Number)
		}
		if b.KeepIDs {
			b.byNumber[h.Number] = h.ID
		}
		for i := range h.Members {
			m := &h.Members[i]
			m.County, m.HouseholdID, m.Version = h.County, h.ID, 1
			if err := b.members.add(b.ctx, memberArgs(m)...); err != nil {
				return err
			}
		}
		for _, in := range h.Incomes {
			if err := b.incomes.add(b.ctx, incomeArgs(h.County, h.ID, &in)...); err != nil {
				return err
			}
		}
		b.Households++
		b.Members += len(h.Members)
		if b.villages == nil {
			b.villages = map[string]int{}
		}
		b.villages[h.VillageCode]++
	}
	b.pending = b.pending[:0]
	return nil
}

// HouseholdID returns the ID of a household written by this bulk.
func (b *Bulk) HouseholdID(number string) (int64, bool) {
	id, ok := b.byNumber[number]
	return id, ok
}

// AddCadre writes a cadre at once and sets its ID.
func (b *Bulk) AddCadre(c *registry.Cadre) error {
	c.Version = 1
	return b.tx.QueryRowContext(b.ctx, `INSERT INTO cadres (county, name, unit, unit_level, post, phone, area, username, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id`,
		c.County, c.Name, c.Unit, c.UnitLevel, c.Post, c.Phone, c.Area, c.Username).Scan(&c.ID)
}

// AddPairings writes pairings; their households must be flushed.
func (b *Bulk) AddPairings(prs []registry.Pairing) error {
	if err := b.Flush(); err != nil {
		return err
	}
	pb := newBatch(b.tx, b.s.Dialect, "pairings", []string{"county", "cadre_id", "household_id", "start_date", "end_date", "reason"}, "")
	defer pb.close()
	for _, pr := range prs {
		if err := pb.add(b.ctx, pr.County, pr.CadreID, pr.HouseholdID, pr.Start, pr.End, pr.Reason); err != nil {
			return err
		}
	}
	return pb.flush(b.ctx)
}

// LogChange records a history entry inside the bulk transaction.
func (b *Bulk) LogChange(county, entity string, id, householdID int64, action string, before, after any) error {
	return b.s.logChange(b.ctx, b.tx, b.actor, county, entity, id, householdID, action, before, after)
}

// Flush writes everything queued so far (still uncommitted).
func (b *Bulk) Flush() error {
	if err := b.flush(); err != nil {
		return err
	}
	if err := b.members.flush(b.ctx); err != nil {
		return err
	}
	return b.incomes.flush(b.ctx)
}

// Commit flushes and commits.
func (b *Bulk) Commit() error {
	if err := b.Flush(); err != nil {
		b.Rollback()
		return err
	}
	b.close()
	for v, n := range b.villages {
		if err := bumpVillageHouseholds(b.ctx, b.tx, v, n); err != nil {
			b.tx.Rollback()
			return err
		}
	}
	for _, ddl := range b.deferred {
		if _, err := b.tx.ExecContext(b.ctx, ddl); err != nil {
			b.tx.Rollback()
			return err
		}
	}
	// A bulk write changes many households at once: bump the registry
	// epoch so caches of facts know to rebuild.
	if _, err := b.tx.ExecContext(b.ctx, `UPDATE registry_epoch SET epoch = epoch + 1`); err != nil {
		b.tx.Rollback()
		return err
	}
	return b.tx.Commit()
}

// Rollback abandons everything the bulk wrote.
func (b *Bulk) Rollback() error {
	b.close()
	return b.tx.Rollback()
}

func (b *Bulk) close() {
	b.homes.close()
	b.members.close()
	b.incomes.close()
}
