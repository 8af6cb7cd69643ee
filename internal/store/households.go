package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"tuopin/internal/audit"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/registry"
)

// householdCols are the stored columns of a household after id, in the
// order householdArgs and scanHousehold use.
var householdCols = []string{
	"county", "number", "village_code", "group_name", "head_name", "phone", "bank_account",
	"standard", "attribute", "main_cause", "other_causes", "status", "identified_year", "exit_year",
	"food_secure", "clothing_secure", "housing_area", "housing_structure", "housing_year", "housing_grade",
	"relocation", "water_source", "water_litres", "water_quality", "water_minutes", "water_outage_days",
	"electricity", "cooking_fuel", "land_mu", "has_car", "has_town_house", "has_business",
	"improved_sanitation", "assets", "child_deaths",
	"version", "created_at", "updated_at",
}

func householdArgs(h *registry.Household) []any {
	return []any{
		h.County, h.Number, h.VillageCode, h.Group, h.HeadName, h.Phone, h.BankAccount,
		h.Standard, h.Attribute, h.MainCause, strings.Join(h.OtherCauses, ","), h.Status, h.IdentifiedYear, h.ExitYear,
		b2i(h.FoodSecure), b2i(h.ClothingSecure), h.HousingArea, h.HousingStructure, h.HousingYear, h.HousingGrade,
		h.Relocation, h.WaterSource, h.WaterLitres, h.WaterQuality, h.WaterMinutes, h.WaterOutageDays,
		b2i(h.Electricity), h.CookingFuel, h.LandMu, b2i(h.HasCar), b2i(h.HasTownHouse), b2i(h.HasBusiness),
		b2i(h.ImprovedSanitation), h.Assets, h.ChildDeaths,
		h.Version, h.CreatedAt.UTC().Format(time.RFC3339Nano), h.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
}

var householdSelect = "h.id, h." + strings.Join(householdCols, ", h.")

type scanner interface{ Scan(...any) error }

func scanHousehold(sc scanner, extra ...any) (registry.Household, error) {
	var h registry.Household
	var causes, created, updated string
	var food, cloth, elec, car, town, biz, san int
	dest := []any{&h.ID,
		&h.County, &h.Number, &h.VillageCode, &h.Group, &h.HeadName, &h.Phone, &h.BankAccount,
		&h.Standard, &h.Attribute, &h.MainCause, &causes, &h.Status, &h.IdentifiedYear, &h.ExitYear,
		&food, &cloth, &h.HousingArea, &h.HousingStructure, &h.HousingYear, &h.HousingGrade,
		&h.Relocation, &h.WaterSource, &h.WaterLitres, &h.WaterQuality, &h.WaterMinutes, &h.WaterOutageDays,
		&elec, &h.CookingFuel, &h.LandMu, &car, &town, &biz,
		&san, &h.Assets, &h.ChildDeaths,
		&h.Version, &created, &updated,
	}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return h, err
	}
	if causes != "" {
		h.OtherCauses = strings.Split(causes, ",")
	} else {
		h.OtherCauses = []string{}
	}
	h.FoodSecure, h.ClothingSecure, h.Electricity = food == 1, cloth == 1, elec == 1
	h.HasCar, h.HasTownHouse, h.HasBusiness = car == 1, town == 1, biz == 1
	h.ImprovedSanitation = san == 1
	h.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	h.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return h, nil
}

var memberCols = []string{
	"county", "household_id", "name", "sex", "id_number", "disability_cert", "birth_date", "relation",
	"ethnicity", "education", "student_status", "health", "labour", "migrant_months", "dibao",
	"medical_insurance", "critical_insurance", "pension_insurance", "civil_servant", "deceased", "undernourished", "version",
}

func memberArgs(m *registry.Member) []any {
	return []any{
		m.County, m.HouseholdID, m.Name, m.Sex, m.IDNumber, m.DisabilityCert, m.BirthDate, m.Relation,
		m.Ethnicity, m.Education, m.StudentStatus, m.Health, m.Labour, m.MigrantMonths, b2i(m.Dibao),
		b2i(m.MedicalInsurance), b2i(m.CriticalInsurance), b2i(m.PensionInsurance), b2i(m.CivilServant), b2i(m.Deceased), b2i(m.Undernourished), m.Version,
	}
}

var memberSelect = "m.id, m." + strings.Join(memberCols, ", m.")

func scanMember(sc scanner) (registry.Member, error) {
	var m registry.Member
	var dibao, med, crit, pens, civ, dead, under int
	err := sc.Scan(&m.ID, &m.County, &m.HouseholdID, &m.Name, &m.Sex, &m.IDNumber, &m.DisabilityCert, &m.BirthDate, &m.Relation,
		&m.Ethnicity, &m.Education, &m.StudentStatus, &m.Health, &m.Labour, &m.MigrantMonths, &dibao,
		&med, &crit, &pens, &civ, &dead, &under, &m.Version)
	m.Dibao, m.MedicalInsurance, m.CriticalInsurance = dibao == 1, med == 1, crit == 1
	m.PensionInsurance, m.CivilServant, m.Deceased = pens == 1, civ == 1, dead == 1
	m.Undernourished = under == 1
	return m, err
}

var incomeCols = []string{"county", "household_id", "year", "wages", "business", "transfers", "property", "costs", "net", "per_capita",
	"medical_costs", "schooling_costs", "disaster_losses"}

// incomeSelect reads an income row after household_id, in scanIncome's order.
const incomeSelect = "year, wages, business, transfers, property, costs, net, per_capita, medical_costs, schooling_costs, disaster_losses"

func scanIncome(sc scanner, extra ...any) (registry.Income, error) {
	var in registry.Income
	err := sc.Scan(append(extra, &in.Year, &in.Wages, &in.Business, &in.Transfers, &in.Property, &in.Costs, &in.Net, &in.PerCapita,
		&in.MedicalCosts, &in.SchoolingCosts, &in.DisasterLosses)...)
	return in, err
}

func incomeArgs(county string, householdID int64, in *registry.Income) []any {
	return []any{county, householdID, in.Year, in.Wages, in.Business, in.Transfers, in.Property, in.Costs, in.Net, in.PerCapita,
		in.MedicalCosts, in.SchoolingCosts, in.DisasterLosses}
}

// HouseholdFilter selects households for a list.
type HouseholdFilter struct {
	Area   string // division-code prefix, narrowed to the caller's scope
	Q      string // name (head or member, prefix), ID number or household number
	Status string
	// Attribute (贫困户属性) and Cause (main cause) narrow by code.
	Attribute string
	Cause     string
	// Shortfalls keeps households with an unresolved shortfall item;
	// Monitored those with a monitoring case being worked.
	Shortfalls bool
	Monitored  bool
	Page       int // from 1
	PageSize   int
}

// effectiveArea narrows a requested area to the principal's scope; an area
// outside the scope yields ok=false.
func effectiveArea(p auth.Principal, area string) (string, bool) {
	switch {
	case area == "" || strings.HasPrefix(p.Area, area):
		return p.Area, true
	case strings.HasPrefix(area, p.Area):
		return area, true
	}
	return "", false
}

// householdCond is the WHERE condition on households h (and its
// arguments, from $1) that selects the households of a filter under an
// area already narrowed to the caller's scope.
func householdCond(area string, f HouseholdFilter) (string, []any) {
	lo, hi := auth.AreaRange(area)
	where := []string{"h.village_code >= $1", "h.village_code < $2"}
	args := []any{lo, hi}
	// No "county = …" term: with it SQLite picks the (county, number)
	// index and scans the whole county; the village-code range already
	// names the county, which is what a sharded deployment routes by.
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, "h.status = $"+strconv.Itoa(len(args)))
	}
	if f.Attribute != "" {
		args = append(args, f.Attribute)
		where = append(where, "h.attribute = $"+strconv.Itoa(len(args)))
	}
	if f.Cause != "" {
		args = append(args, f.Cause)
		where = append(where, "h.main_cause = $"+strconv.Itoa(len(args)))
	}
	if f.Shortfalls {
		where = append(where, "EXISTS (SELECT 1 FROM shortfalls x WHERE x.household_id = h.id AND x.status IN ('open', 'in_progress'))")
	}
	if f.Monitored {
		where = append(where, "EXISTS (SELECT 1 FROM monitoring_cases c WHERE c.household_id = h.id AND c.status IN "+caseActive+")")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		args = append(args, q)
		eq := "$" + strconv.Itoa(len(args))
		args = append(args, q+"\U0010FFFF")
		hiq := "$" + strconv.Itoa(len(args))
		idq := strings.ToUpper(q)
		args = append(args, idq)
		ideq := "$" + strconv.Itoa(len(args))
		// The unique index on members is (county, id_number): naming the
		// county lets an ID number be found without reading every member.
		idCond := "m.id_number = " + ideq
		if len(area) >= 6 {
			args = append(args, area[:6])
			idCond = "(m.county = $" + strconv.Itoa(len(args)) + " AND m.id_number = " + ideq + ")"
		}
		where = append(where, "(h.number = "+eq+" OR (h.head_name >= "+eq+" AND h.head_name < "+hiq+") OR h.id IN (SELECT m.household_id FROM members m WHERE "+idCond+")"+
			" OR h.id IN (SELECT m.household_id FROM members m WHERE m.name >= "+eq+" AND m.name < "+hiq+"))")
	}
	return strings.Join(where, " AND "), args
}

// ListHouseholds returns one page of the households in scope and the total.
func (s *Store) ListHouseholds(ctx context.Context, p auth.Principal, f HouseholdFilter) ([]registry.Household, int, error) {
	area, ok := effectiveArea(p, f.Area)
	if !ok {
		return []registry.Household{}, 0, nil
	}
	if f.PageSize <= 0 || f.PageSize > 500 {
		f.PageSize = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	cond, args := householdCond(area, f)
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM households h WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	args = append(args, f.PageSize, (f.Page-1)*f.PageSize)
	q := "SELECT " + householdSelect + ", (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id AND m.deceased = 0) FROM households h WHERE " + cond +
		" ORDER BY h.village_code, h.number LIMIT $" + strconv.Itoa(len(args)-1) + " OFFSET $" + strconv.Itoa(len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []registry.Household{}
	for rows.Next() {
		var size int
		h, err := scanHousehold(rows, &size)
		if err != nil {
			return nil, 0, err
		}
		h.Size = size
		if !p.SeesPersonal() {
			h.Mask()
		}
		out = append(out, h)
	}
	return out, total, rows.Err()
}

// scopeCond is the WHERE fragment limiting alias.village_code to the
// principal's area; its two arguments are appended to args.
func scopeCond(p auth.Principal, alias string, args []any) (string, []any) {
	lo, hi := p.ScopeRange()
	args = append(args, lo, hi)
	n := len(args)
	return alias + ".village_code >= $" + strconv.Itoa(n-1) + " AND " + alias + ".village_code < $" + strconv.Itoa(n), args
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) getHousehold(ctx context.Context, q querier, p auth.Principal, id int64) (registry.Household, error) {
	cond, args := scopeCond(p, "h", []any{id})
	h, err := scanHousehold(q.QueryRowContext(ctx, "SELECT "+householdSelect+" FROM households h WHERE h.id = $1 AND "+cond, args...))
	if isNoRows(err) {
		return h, notFound()
	}
	return h, err
}

// InScope answers nil when household id exists within the principal's
// scope, and not found otherwise.
func (s *Store) InScope(ctx context.Context, p auth.Principal, id int64) error {
	_, err := s.getHousehold(ctx, s.r, p, id)
	return err
}

// GetHousehold returns one household in scope with its members, incomes
// and pairings; personal data is masked for roles that may not see it.
func (s *Store) GetHousehold(ctx context.Context, p auth.Principal, id int64) (registry.Household, error) {
	h, err := s.getHousehold(ctx, s.r, p, id)
	if err != nil {
		return h, err
	}
	if h.Members, err = s.members(ctx, s.r, h.ID); err != nil {
		return h, err
	}
	for _, m := range h.Members {
		if !m.Deceased {
			h.Size++
		}
	}
	if h.Incomes, err = s.incomes(ctx, s.r, h.ID); err != nil {
		return h, err
	}
	if !p.SeesPersonal() {
		h.Mask()
	}
	return h, nil
}

func (s *Store) members(ctx context.Context, q querier, householdID int64) ([]registry.Member, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+memberSelect+" FROM members m WHERE m.household_id = $1 ORDER BY m.id", householdID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) incomes(ctx context.Context, q querier, householdID int64) ([]registry.Income, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+incomeSelect+" FROM incomes WHERE household_id = $1 ORDER BY year", householdID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Income{}
	for rows.Next() {
		in, err := scanIncome(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Checker returns a validator using the store's divisions and clock.
func (s *Store) Checker() registry.Checker {
	return registry.Checker{Divisions: s.div, Now: s.now()}
}

// CreateHousehold validates and stores a new household with its members
// and incomes, and records the creation in its history.
func (s *Store) CreateHousehold(ctx context.Context, p auth.Principal, h *registry.Household) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	c := s.Checker()
	errs := c.Household(h)
	for i := range h.Members {
		for _, e := range c.Member(&h.Members[i]) {
			e.Field = "members[" + strconv.Itoa(i) + "]." + e.Field
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return fault.Fields(errs)
	}
	if !p.InScope(h.VillageCode) {
		return fault.New(fault.NotFound, "error.area_outside")
	}
	setPerCapita(h)
	now := s.now()
	h.CreatedAt, h.UpdatedAt, h.Version = now, now, 1
	return s.tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE county = $1 AND number = $2`, h.County, h.Number).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return &fault.Error{Kind: fault.Conflict, Msg: errMsg("error.duplicate_number"), Fields: []fault.FieldError{{Field: "number", Value: h.Number, Reason: errMsg("error.duplicate_number")}}}
		}
		if err := s.checkIDsFree(ctx, tx, h.County, 0, h.Members); err != nil {
			return err
		}
		if err := s.insertHousehold(ctx, tx, h); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, h.County, "household", h.ID, h.ID, "create", nil, h)
	})
}

func setPerCapita(h *registry.Household) {
	n := 0
	for _, m := range h.Members {
		if !m.Deceased {
			n++
		}
	}
	for i := range h.Incomes {
		if n > 0 {
			h.Incomes[i].PerCapita = h.Incomes[i].Net / int64(n)
		}
	}
}

func (s *Store) insertHousehold(ctx context.Context, tx *sql.Tx, h *registry.Household) error {
	cols := strings.Join(householdCols, ", ")
	ph := placeholders(1, len(householdCols))
	if err := tx.QueryRowContext(ctx, "INSERT INTO households ("+cols+") VALUES ("+ph+") RETURNING id", householdArgs(h)...).Scan(&h.ID); err != nil {
		return err
	}
	if err := bumpVillageHouseholds(ctx, tx, h.VillageCode, 1); err != nil {
		return err
	}
	for i := range h.Members {
		m := &h.Members[i]
		m.County, m.HouseholdID, m.Version = h.County, h.ID, 1
		if err := tx.QueryRowContext(ctx, "INSERT INTO members ("+strings.Join(memberCols, ", ")+") VALUES ("+placeholders(1, len(memberCols))+") RETURNING id", memberArgs(m)...).Scan(&m.ID); err != nil {
			return err
		}
	}
	for _, in := range h.Incomes {
		if err := s.upsertIncome(ctx, tx, h.County, h.ID, in); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) upsertIncome(ctx context.Context, tx *sql.Tx, county string, hid int64, in registry.Income) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incomes (`+strings.Join(incomeCols, ", ")+`) VALUES (`+placeholders(1, len(incomeCols))+`)
		ON CONFLICT (household_id, year) DO UPDATE SET wages = excluded.wages, business = excluded.business, transfers = excluded.transfers,
		property = excluded.property, costs = excluded.costs, net = excluded.net, per_capita = excluded.per_capita,
		medical_costs = excluded.medical_costs, schooling_costs = excluded.schooling_costs, disaster_losses = excluded.disaster_losses`,
		incomeArgs(county, hid, &in)...)
	return err
}

// checkIDsFree refuses members whose ID number is already registered in
// another household of the county.
func (s *Store) checkIDsFree(ctx context.Context, q querier, county string, householdID int64, ms []registry.Member) error {
	var errs []fault.FieldError
	for i, m := range ms {
		var other string
		err := q.QueryRowContext(ctx, `SELECT h.number FROM members m JOIN households h ON h.id = m.household_id WHERE m.county = $1 AND m.id_number = $2 AND m.household_id <> $3`,
			county, m.IDNumber, householdID).Scan(&other)
		if isNoRows(err) {
			continue
		}
		if err != nil {
			return err
		}
		errs = append(errs, fault.FieldError{Field: "members[" + strconv.Itoa(i) + "].id_number", Value: m.IDNumber, Reason: errMsg("reason.duplicate_id_db", "household", other)})
	}
	if len(errs) > 0 {
		return &fault.Error{Kind: fault.Conflict, Msg: errMsg("error.invalid_fields"), Fields: errs}
	}
	return nil
}

// UpdateHousehold stores h's own fields if h.Version is still the stored
// version; otherwise it returns a Conflict and changes nothing. Members
// and incomes are changed through their own calls.
func (s *Store) UpdateHousehold(ctx context.Context, p auth.Principal, h *registry.Household) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		before, err := s.getHousehold(ctx, tx, p, h.ID)
		if err != nil {
			return err
		}
		h.Incomes = nil
		if errs := s.Checker().Household(h); len(errs) > 0 {
			return fault.Fields(errs)
		}
		if !p.InScope(h.VillageCode) {
			return fault.New(fault.NotFound, "error.area_outside")
		}
		if h.Number != before.Number {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE county = $1 AND number = $2`, h.County, h.Number).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fault.New(fault.Conflict, "error.duplicate_number")
			}
		}
		if before.Version != h.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		h.CreatedAt = before.CreatedAt
		h.UpdatedAt = s.now()
		h.Version = before.Version + 1
		args := householdArgs(h)
		args = append(args, h.ID, before.Version)
		res, err := tx.ExecContext(ctx, "UPDATE households SET "+setList(householdCols)+" WHERE id = $"+strconv.Itoa(len(args)-1)+" AND version = $"+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.conflict")
		}
		if err := moveVillageHousehold(ctx, tx, before.VillageCode, h.VillageCode); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, h.County, "household", h.ID, h.ID, "update", before, h)
	})
}

// SaveMember creates (ID 0) or updates a member of a household in scope;
// an update must carry the stored version.
func (s *Store) SaveMember(ctx context.Context, p auth.Principal, m *registry.Member) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if errs := s.Checker().Member(m); len(errs) > 0 {
		return fault.Fields(errs)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		h, err := s.getHousehold(ctx, tx, p, m.HouseholdID)
		if err != nil {
			return err
		}
		m.County = h.County
		if err := s.checkIDsFree(ctx, tx, h.County, h.ID, []registry.Member{*m}); err != nil {
			return err
		}
		if m.ID == 0 {
			var dup int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE household_id = $1 AND id_number = $2`, h.ID, m.IDNumber).Scan(&dup); err != nil {
				return err
			}
			if dup > 0 {
				return &fault.Error{Kind: fault.Conflict, Msg: errMsg("reason.duplicate_member"), Fields: []fault.FieldError{{Field: "id_number", Value: m.IDNumber, Reason: errMsg("reason.duplicate_member")}}}
			}
			m.Version = 1
			if err := tx.QueryRowContext(ctx, "INSERT INTO members ("+strings.Join(memberCols, ", ")+") VALUES ("+placeholders(1, len(memberCols))+") RETURNING id", memberArgs(m)...).Scan(&m.ID); err != nil {
				return err
			}
			return s.logChange(ctx, tx, p, h.County, "member", m.ID, h.ID, "create", nil, m)
		}
		before, err := scanMember(tx.QueryRowContext(ctx, "SELECT "+memberSelect+" FROM members m WHERE m.id = $1 AND m.household_id = $2", m.ID, h.ID))
		if isNoRows(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if before.Version != m.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		m.Version++
		args := memberArgs(m)
		args = append(args, m.ID, before.Version)
		res, err := tx.ExecContext(ctx, "UPDATE members SET "+setList(memberCols)+" WHERE id = $"+strconv.Itoa(len(args)-1)+" AND version = $"+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.conflict")
		}
		return s.logChange(ctx, tx, p, h.County, "member", m.ID, h.ID, "update", before, m)
	})
}

// ListMembers returns the members of a household in scope.
func (s *Store) ListMembers(ctx context.Context, p auth.Principal, householdID int64) ([]registry.Member, error) {
	if _, err := s.getHousehold(ctx, s.r, p, householdID); err != nil {
		return nil, err
	}
	ms, err := s.members(ctx, s.r, householdID)
	if err == nil && !p.SeesPersonal() {
		for i := range ms {
			ms[i].Mask()
		}
	}
	return ms, err
}

// History returns the change history of a household in scope, newest
// first.
func (s *Store) History(ctx context.Context, p auth.Principal, householdID int64) ([]registry.Change, error) {
	if _, err := s.getHousehold(ctx, s.r, p, householdID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, entity, entity_id, household_id, action, actor, at, before_json, after_json FROM changes WHERE household_id = $1 ORDER BY id DESC`, householdID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Change{}
	for rows.Next() {
		var c registry.Change
		if err := rows.Scan(&c.ID, &c.Entity, &c.EntityID, &c.HouseholdID, &c.Action, &c.Actor, &c.At, &c.Before, &c.After); err != nil {
			return nil, err
		}
		if !p.SeesPersonal() {
			c.Before, c.After = "", ""
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// logChange appends a history entry in the same transaction as the
// change, chained into the audit log.
func (s *Store) logChange(ctx context.Context, tx *sql.Tx, p auth.Principal, county, entity string, id, householdID int64, action string, before, after any) error {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, &audit.Entry{County: county, Entity: entity, EntityID: id, HouseholdID: householdID,
		Action: action, Actor: p.Username, At: s.stamp(), Before: b, After: a})
}

func placeholders(from, n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('$')
		sb.WriteString(strconv.Itoa(from + i))
	}
	return sb.String()
}

// setList is "c1 = $1, c2 = $2, …" for an UPDATE of cols.
func setList(cols []string) string {
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = $" + strconv.Itoa(i+1)
	}
	return strings.Join(sets, ", ")
}

// SaveIncome adds or replaces one year's income of a household in scope,
// with its per-capita figure over the living members, and records the
// change in the household's history.
func (s *Store) SaveIncome(ctx context.Context, p auth.Principal, householdID int64, in *registry.Income) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if errs := s.Checker().Income(in); len(errs) > 0 {
		return fault.Fields(errs)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		h, err := s.getHousehold(ctx, tx, p, householdID)
		if err != nil {
			return err
		}
		if h.Members, err = s.members(ctx, tx, h.ID); err != nil {
			return err
		}
		if h.Incomes, err = s.incomes(ctx, tx, h.ID); err != nil {
			return err
		}
		var before *registry.Income
		for i := range h.Incomes {
			if h.Incomes[i].Year == in.Year {
				before = &h.Incomes[i]
			}
		}
		return s.storeIncome(ctx, tx, p, &h, in, "update", before)
	})
}

// storeIncome fills a year's per-capita income over the household's
// living members, stores it and records the change.
func (s *Store) storeIncome(ctx context.Context, tx *sql.Tx, p auth.Principal, h *registry.Household, in *registry.Income, action string, before any) error {
	one := registry.Household{Members: h.Members, Incomes: []registry.Income{*in}}
	setPerCapita(&one)
	*in = one.Incomes[0]
	if err := s.upsertIncome(ctx, tx, h.County, h.ID, *in); err != nil {
		return err
	}
	return s.logChange(ctx, tx, p, h.County, "income", int64(in.Year), h.ID, action, before, in)
}
