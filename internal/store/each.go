package store

import (
	"context"

	"tuopin/internal/auth"
	"tuopin/internal/registry"
)

// FullHousehold is a household with its members and incomes filled.
type FullHousehold struct{ registry.Household }

// EachHousehold streams every household under area (within scope) with
// members and incomes, in keyset-paginated batches so memory stays flat
// however large the county.
func (s *Store) EachHousehold(ctx context.Context, p auth.Principal, area string, fn func(*FullHousehold) error) error {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil
	}
	lo, hi := auth.AreaRange(area)
	var last int64
	for {
		rows, err := s.r.QueryContext(ctx, "SELECT "+householdSelect+" FROM households h WHERE h.id > $1 AND h.village_code >= $2 AND h.village_code < $3 ORDER BY h.id LIMIT 1000", last, lo, hi)
		if err != nil {
			return err
		}
		var batch []*FullHousehold
		byID := map[int64]*FullHousehold{}
		for rows.Next() {
			h, err := scanHousehold(rows)
			if err != nil {
				rows.Close()
				return err
			}
			fh := &FullHousehold{h}
			batch = append(batch, fh)
			byID[h.ID] = fh
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		first := batch[0].ID
		last = batch[len(batch)-1].ID
		mrows, err := s.r.QueryContext(ctx, "SELECT "+memberSelect+" FROM members m WHERE m.household_id >= $1 AND m.household_id <= $2 ORDER BY m.household_id, m.id", first, last)
		if err != nil {
			return err
		}
		for mrows.Next() {
			m, err := scanMember(mrows)
			if err != nil {
				mrows.Close()
				return err
			}
			if fh := byID[m.HouseholdID]; fh != nil {
				fh.Members = append(fh.Members, m)
			}
		}
		mrows.Close()
		irows, err := s.r.QueryContext(ctx, "SELECT household_id, "+incomeSelect+" FROM incomes WHERE household_id >= $1 AND household_id <= $2 ORDER BY household_id, year", first, last)
		if err != nil {
			return err
		}
		for irows.Next() {
			var hid int64
			in, err := scanIncome(irows, &hid)
			if err != nil {
				irows.Close()
				return err
			}
			if fh := byID[hid]; fh != nil {
				fh.Incomes = append(fh.Incomes, in)
			}
		}
		irows.Close()
		for _, fh := range batch {
			if !p.SeesPersonal() {
				fh.Mask()
			}
			if err := fn(fh); err != nil {
				return err
			}
		}
	}
}
