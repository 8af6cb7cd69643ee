package store

import (
	"strconv"

	"context"

	"tuopin/internal/auth"
	"tuopin/internal/registry"
)

// FullHousehold is a household with its members and incomes filled.
type FullHousehold struct{ registry.Household }

// EachHousehold streams every household of the filter (its area within
// scope; paging fields are ignored) with members and incomes, in
// keyset-paginated batches so memory stays flat however large the county.
// Personal data is masked for roles that may not see it.
func (s *Store) EachHousehold(ctx context.Context, p auth.Principal, f HouseholdFilter, fn func(*FullHousehold) error) error {
	area, ok := effectiveArea(p, f.Area)
	if !ok {
		return nil
	}
	cond, args := householdCond(area, f)
	after := "$" + strconv.Itoa(len(args)+1)
	var last int64
	for {
		rows, err := s.r.QueryContext(ctx, "SELECT "+householdSelect+" FROM households h WHERE "+cond+" AND h.id > "+after+" ORDER BY h.id LIMIT 1000", append(args, last)...)
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

// factHouseholdCols and factMemberCols are the columns the assessment
// derives facts from: fewer than a full read, which is what makes a full
// assessment cheap (most of a read's cost is per column).
const (
	// Flags are packed into one integer: each column read costs more
	// than the arithmetic.
	factHouseholdCols = `id, county, village_code, status, attribute, standard, identified_year, exit_year,
	housing_grade, housing_structure, relocation, water_source, water_quality, water_litres, water_minutes, water_outage_days,
	cooking_fuel, assets, child_deaths,
	food_secure + 2*clothing_secure + 4*electricity + 8*improved_sanitation + 16*has_car + 32*has_town_house + 64*has_business`
	factMemberCols = `household_id, birth_date, education, student_status, health, labour,
	medical_insurance + 2*critical_insurance + 4*civil_servant + 8*deceased + 16*undernourished`
	factIncomeCols = `household_id, year, net, per_capita, medical_costs, schooling_costs, disaster_losses`
)

// IDRange returns the smallest and largest household ID under area.
func (s *Store) IDRange(ctx context.Context, area string) (lo, hi int64, err error) {
	a, b := auth.AreaRange(area)
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), -1) FROM households WHERE village_code >= $1 AND village_code < $2`, a, b).Scan(&lo, &hi)
	return lo, hi, err
}

// EachHouseholdFacts streams the households under area with IDs in
// [from, to], reading only what the assessment needs: the household's
// own facts, its members' facts and the income figures rules read
// (net, per capita, rigid spending). Names, ID numbers, phones and bank
// accounts are not read. Batches hold n households; fn
// may keep the slice only until it returns.
func (s *Store) EachHouseholdFacts(ctx context.Context, area string, from, to int64, n int, fn func([]registry.Household) error) error {
	lo, hi := auth.AreaRange(area)
	last := from - 1
	batch := make([]registry.Household, 0, n)
	for {
		rows, err := s.r.QueryContext(ctx, "SELECT "+factHouseholdCols+` FROM households WHERE id > $1 AND id <= $2
			AND village_code >= $3 AND village_code < $4 ORDER BY id LIMIT `+strconv.Itoa(n), last, to, lo, hi)
		if err != nil {
			return err
		}
		batch = batch[:0]
		for rows.Next() {
			var h registry.Household
			var flags int64
			if err := rows.Scan(&h.ID, &h.County, &h.VillageCode, &h.Status, &h.Attribute, &h.Standard, &h.IdentifiedYear, &h.ExitYear,
				&h.HousingGrade, &h.HousingStructure, &h.Relocation, &h.WaterSource, &h.WaterQuality, &h.WaterLitres, &h.WaterMinutes, &h.WaterOutageDays,
				&h.CookingFuel, &h.Assets, &h.ChildDeaths, &flags); err != nil {
				rows.Close()
				return err
			}
			h.FoodSecure, h.ClothingSecure, h.Electricity, h.ImprovedSanitation = flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
			h.HasCar, h.HasTownHouse, h.HasBusiness = flags&16 != 0, flags&32 != 0, flags&64 != 0
			batch = append(batch, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		first, end := batch[0].ID, batch[len(batch)-1].ID
		// Members and incomes come in household order, so one walk
		// attaches them without a map.
		mrows, err := s.r.QueryContext(ctx, "SELECT "+factMemberCols+` FROM members WHERE household_id >= $1 AND household_id <= $2 ORDER BY household_id, id`, first, end)
		if err != nil {
			return err
		}
		// All members of the batch go into one slice, scanned in place;
		// each household gets its run of it.
		ms := make([]registry.Member, 0, 5*len(batch))
		for mrows.Next() {
			ms = append(ms, registry.Member{})
			m := &ms[len(ms)-1]
			var flags int64
			if err := mrows.Scan(&m.HouseholdID, &m.BirthDate, &m.Education, &m.StudentStatus, &m.Health, &m.Labour, &flags); err != nil {
				mrows.Close()
				return err
			}
			m.MedicalInsurance, m.CriticalInsurance, m.CivilServant = flags&1 != 0, flags&2 != 0, flags&4 != 0
			m.Deceased, m.Undernourished = flags&8 != 0, flags&16 != 0
		}
		mrows.Close()
		if err := mrows.Err(); err != nil {
			return err
		}
		i := 0
		for j := 0; j < len(ms); {
			k := j
			for k < len(ms) && ms[k].HouseholdID == ms[j].HouseholdID {
				k++
			}
			for i < len(batch) && batch[i].ID < ms[j].HouseholdID {
				i++
			}
			if i < len(batch) && batch[i].ID == ms[j].HouseholdID {
				batch[i].Members = ms[j:k:k]
			}
			j = k
		}
		irows, err := s.r.QueryContext(ctx, "SELECT "+factIncomeCols+" FROM incomes WHERE household_id >= $1 AND household_id <= $2 ORDER BY household_id, year", first, end)
		if err != nil {
			return err
		}
		i = 0
		for irows.Next() {
			var hid int64
			var in registry.Income
			if err := irows.Scan(&hid, &in.Year, &in.Net, &in.PerCapita, &in.MedicalCosts, &in.SchoolingCosts, &in.DisasterLosses); err != nil {
				irows.Close()
				return err
			}
			for i < len(batch) && batch[i].ID < hid {
				i++
			}
			if i < len(batch) && batch[i].ID == hid {
				batch[i].Incomes = append(batch[i].Incomes, in)
			}
		}
		irows.Close()
		if err := irows.Err(); err != nil {
			return err
		}
		if err := fn(batch); err != nil {
			return err
		}
		last = end
	}
}

// RegistryEpoch is a counter every bulk write (import, demo) increases.
func (s *Store) RegistryEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT epoch FROM registry_epoch`).Scan(&n)
	return n, err
}
