package store

import (
	"context"
	"reflect"
	"strconv"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/registry"
)

// CountyIndex is what an import needs to know of a county already stored:
// household IDs by number, and the household of every member by ID key.
type CountyIndex struct {
	Households map[string]int64
	Members    map[uint64]int64
}

// LoadCountyIndex reads the county's household numbers and member ID
// numbers, streaming, into compact maps; key packs an ID number.
func (s *Store) LoadCountyIndex(ctx context.Context, county string, key func(string) uint64) (*CountyIndex, error) {
	idx := &CountyIndex{Households: map[string]int64{}, Members: map[uint64]int64{}}
	rows, err := s.r.QueryContext(ctx, `SELECT id, number FROM households WHERE county = $1`, county)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		idx.Households[n] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT household_id, id_number FROM members WHERE county = $1`, county)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var hid int64
		var id string
		if err := rows.Scan(&hid, &id); err != nil {
			return nil, err
		}
		if len(id) == 18 {
			idx.Members[key(id)] = hid
		}
	}
	return idx, rows.Err()
}

// HouseholdNumber returns the number of a household, for messages.
func (s *Store) HouseholdNumber(ctx context.Context, id int64) (string, error) {
	var n string
	err := s.r.QueryRowContext(ctx, `SELECT number FROM households WHERE id = $1`, id).Scan(&n)
	return n, err
}

// ReplaceHousehold makes the stored household id equal to h: its own
// fields, its members (matched by ID number; members missing from h are
// removed) and the income years h carries. It reports whether anything
// changed; an unchanged household is not written at all, so importing the
// same file twice changes nothing.
func (b *Bulk) ReplaceHousehold(id int64, h *registry.Household) (bool, error) {
	ctx, tx := b.ctx, b.tx
	all := auth.System(b.actor.Username)
	old, err := b.s.getHousehold(ctx, tx, all, id)
	if err != nil {
		return false, err
	}
	if old.Members, err = b.s.members(ctx, tx, id); err != nil {
		return false, err
	}
	if old.Incomes, err = b.s.incomes(ctx, tx, id); err != nil {
		return false, err
	}
	setPerCapita(h)
	h.ID, h.County, h.Version, h.CreatedAt, h.UpdatedAt = old.ID, old.County, old.Version, old.CreatedAt, old.UpdatedAt
	changed := false
	if !sameHousehold(old, *h) {
		changed = true
		h.Version = old.Version + 1
		h.UpdatedAt = b.s.now()
		args := householdArgs(h)
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, "UPDATE households SET "+setList(householdCols)+" WHERE id = $"+strconv.Itoa(len(args)), args...); err != nil {
			return false, err
		}
		if err := moveVillageHousehold(ctx, tx, old.VillageCode, h.VillageCode); err != nil {
			return false, err
		}
		before := old
		before.Members, before.Incomes = nil, nil
		after := *h
		after.Members, after.Incomes = nil, nil
		if err := b.LogChange(h.County, "household", id, id, "import_update", before, after); err != nil {
			return false, err
		}
	}
	byID := map[string]registry.Member{}
	for _, m := range old.Members {
		byID[m.IDNumber] = m
	}
	for i := range h.Members {
		m := &h.Members[i]
		m.County, m.HouseholdID = old.County, id
		prev, ok := byID[m.IDNumber]
		delete(byID, m.IDNumber)
		if ok {
			m.ID, m.Version = prev.ID, prev.Version
			if reflect.DeepEqual(prev, *m) {
				continue
			}
			changed = true
			m.Version++
			args := memberArgs(m)
			args = append(args, m.ID)
			if _, err := tx.ExecContext(ctx, "UPDATE members SET "+setList(memberCols)+" WHERE id = $"+strconv.Itoa(len(args)), args...); err != nil {
				return false, err
			}
			if err := b.LogChange(h.County, "member", m.ID, id, "import_update", prev, m); err != nil {
				return false, err
			}
			continue
		}
		changed = true
		m.Version = 1
		if err := tx.QueryRowContext(ctx, "INSERT INTO members ("+strings.Join(memberCols, ", ")+") VALUES ("+placeholders(1, len(memberCols))+") RETURNING id", memberArgs(m)...).Scan(&m.ID); err != nil {
			return false, err
		}
		if err := b.LogChange(h.County, "member", m.ID, id, "import_create", nil, m); err != nil {
			return false, err
		}
	}
	for _, gone := range byID {
		changed = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = $1`, gone.ID); err != nil {
			return false, err
		}
		if err := b.LogChange(h.County, "member", gone.ID, id, "import_remove", gone, nil); err != nil {
			return false, err
		}
	}
	oldIncome := map[int]registry.Income{}
	for _, in := range old.Incomes {
		oldIncome[in.Year] = in
	}
	for _, in := range h.Incomes {
		if prev, ok := oldIncome[in.Year]; ok && prev == in {
			continue
		}
		changed = true
		if err := b.s.upsertIncome(ctx, tx, old.County, id, in); err != nil {
			return false, err
		}
		if err := b.LogChange(h.County, "income", int64(in.Year), id, "import_update", oldIncome[in.Year], in); err != nil {
			return false, err
		}
	}
	return changed, nil
}

func sameHousehold(a, b registry.Household) bool {
	a.Members, a.Incomes, b.Members, b.Incomes = nil, nil, nil, nil
	a.Size, b.Size = 0, 0
	a.CreatedAt, a.UpdatedAt = b.CreatedAt, b.UpdatedAt
	if len(a.OtherCauses) == 0 && len(b.OtherCauses) == 0 {
		a.OtherCauses, b.OtherCauses = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// LogImport records the import job and its file's hash.
func (b *Bulk) LogImport(file, sha string, rows, created, updated, unchanged int) error {
	var id int64
	if err := b.tx.QueryRowContext(b.ctx, `INSERT INTO import_jobs (file_name, sha256, actor, started_at, rows, created, updated, unchanged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		file, sha, b.actor.Username, b.s.stamp(), rows, created, updated, unchanged).Scan(&id); err != nil {
		return err
	}
	return b.LogChange("", "import", id, 0, "import", nil, map[string]any{"file": file, "sha256": sha, "rows": rows, "created": created, "updated": updated, "unchanged": unchanged})
}

// ImportJobs counts import jobs, for tests and the status page.
func (s *Store) ImportJobs(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM import_jobs`).Scan(&n)
	return n, err
}

// Counts returns the number of households and members stored.
func (s *Store) Counts(ctx context.Context) (households, members int, err error) {
	if err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM households`).Scan(&households); err != nil {
		return
	}
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM members`).Scan(&members)
	return
}
