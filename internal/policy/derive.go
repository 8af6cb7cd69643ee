package policy

import (
	"fmt"
	"strconv"
	"time"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// Period is an assessment month (研判期), written YYYY-MM.
type Period struct{ Year, Month int }

// ParsePeriod reads YYYY-MM.
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2013 || t.Year() > 2100 {
		return Period{}, fault.Fields([]fault.FieldError{{Field: "period", Value: s, Reason: i18n.M("reason.period")}})
	}
	return Period{t.Year(), int(t.Month())}, nil
}

// PeriodOf is the period a moment falls in.
func PeriodOf(t time.Time) Period { return Period{t.Year(), int(t.Month())} }

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, p.Month) }

// Start is the first day of the period; End is the first day of the next.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, time.UTC)
}

// End is the first day after the period.
func (p Period) End() time.Time { return p.Start().AddDate(0, 1, 0) }

// LastDay is the period's last date, YYYY-MM-DD.
func (p Period) LastDay() string { return p.End().AddDate(0, 0, -1).Format("2006-01-02") }

// schoolingYears is the years of schooling an education level completes.
var schoolingYears = map[string]int64{"none": 0, "preschool": 0, "primary": 6, "junior": 9, "senior": 12, "vocational": 12, "college": 15}

// inSchool lists the student statuses that count as schooling; home
// teaching (送教上门) counts.
var inSchool = map[string]bool{"preschool": true, "primary": true, "junior": true, "senior": true, "vocational": true, "college": true, "home_teaching": true}

// Indices of the facts Derive sets, resolved once.
var (
	fStatus, fAttribute, fStandard                 = MustFact("status"), MustFact("attribute"), MustFact("standard")
	fIdentified, fExitYear, fPeriodYear, fPersons  = MustFact("identified_year"), MustFact("exit_year"), MustFact("period_year"), MustFact("persons")
	fFood, fClothing, fIncomeYear, fPerCapita      = MustFact("food_secure"), MustFact("clothing_secure"), MustFact("income_year"), MustFact("per_capita_income")
	fNet, fPrevPerCapita, fMedicalSpend            = MustFact("net_income"), MustFact("prev_per_capita_income"), MustFact("medical_spending")
	fSchoolSpend, fDisaster, fRigid                = MustFact("schooling_spending"), MustFact("disaster_loss"), MustFact("rigid_spending")
	fChildren, fOutOfSchool, fExcused              = MustFact("children_6_15"), MustFact("children_out_of_school"), MustFact("children_health_excused")
	fNoMedical, fNoCritical, fSerious, fDisabled   = MustFact("members_without_medical"), MustFact("members_without_critical"), MustFact("members_serious_illness"), MustFact("members_disabled")
	fCivil, fDeceased, fUnder, fAble, fSchoolYears = MustFact("members_civil_servant"), MustFact("members_deceased"), MustFact("members_undernourished"), MustFact("members_able_to_work"), MustFact("max_schooling_years")
	fGrade, fStructure, fRelocation                = MustFact("housing_grade"), MustFact("housing_structure"), MustFact("relocation")
	fWaterSource, fWaterQuality, fWaterLitres      = MustFact("water_source"), MustFact("water_quality"), MustFact("water_litres")
	fWaterMinutes, fWaterOutage, fElectricity      = MustFact("water_minutes"), MustFact("water_outage_days"), MustFact("electricity")
	fFuel, fSanitation, fAssets, fChildDeaths      = MustFact("cooking_fuel"), MustFact("improved_sanitation"), MustFact("assets"), MustFact("child_deaths")
	fCar, fTownHouse, fBusiness                    = MustFact("has_car"), MustFact("has_town_house"), MustFact("has_business")
)

// ageAt is a person's age in whole years on day d, from YYYY-MM-DD.
func ageAt(birth string, d time.Time) int {
	if len(birth) != 10 {
		return -1
	}
	y, err1 := strconv.Atoi(birth[:4])
	m, err2 := strconv.Atoi(birth[5:7])
	day, err3 := strconv.Atoi(birth[8:])
	if err1 != nil || err2 != nil || err3 != nil {
		return -1
	}
	age := d.Year() - y
	if int(d.Month()) < m || int(d.Month()) == m && d.Day() < day {
		age--
	}
	return age
}

// Derive fills row of f with the facts of household h (members and
// incomes loaded) as they stand at the end of period, with the parameters
// in force for its village. Ages are taken on the period's last day; the
// income is the latest year recorded up to the period's year.
func Derive(f *Frame, row int, h *registry.Household, params *Params, period Period) error {
	last := period.End().AddDate(0, 0, -1)
	for _, s := range []struct {
		fact int
		v    string
	}{{fStatus, h.Status}, {fAttribute, h.Attribute}, {fStandard, h.Standard}, {fGrade, h.HousingGrade},
		{fStructure, h.HousingStructure}, {fRelocation, h.Relocation}, {fWaterSource, h.WaterSource},
		{fWaterQuality, h.WaterQuality}, {fFuel, h.CookingFuel}} {
		if err := f.SetString(s.fact, row, s.v); err != nil {
			return err
		}
	}
	f.SetInt(fIdentified, row, int64(h.IdentifiedYear))
	f.SetInt(fExitYear, row, int64(h.ExitYear))
	f.SetInt(fPeriodYear, row, int64(period.Year))
	f.SetBool(fFood, row, h.FoodSecure)
	f.SetBool(fClothing, row, h.ClothingSecure)
	f.SetInt(fWaterLitres, row, int64(h.WaterLitres))
	f.SetInt(fWaterMinutes, row, int64(h.WaterMinutes))
	f.SetInt(fWaterOutage, row, int64(h.WaterOutageDays))
	f.SetBool(fElectricity, row, h.Electricity)
	f.SetBool(fSanitation, row, h.ImprovedSanitation)
	f.SetInt(fAssets, row, int64(h.Assets))
	f.SetInt(fChildDeaths, row, int64(h.ChildDeaths))
	f.SetBool(fCar, row, h.HasCar)
	f.SetBool(fTownHouse, row, h.HasTownHouse)
	f.SetBool(fBusiness, row, h.HasBusiness)

	var persons, children, out, excused, noMed, noCrit, serious, disabled, civil, dead, under, able, maxYears int64
	for i := range h.Members {
		m := &h.Members[i]
		if m.Deceased {
			dead++
			continue
		}
		persons++
		age := ageAt(m.BirthDate, last)
		if age >= 6 && age <= 15 {
			children++
			if !inSchool[m.StudentStatus] {
				if m.Health == "serious" || m.Health == "disabled" {
					excused++
				} else {
					out++
				}
			}
		}
		if !m.MedicalInsurance {
			noMed++
		}
		if !m.CriticalInsurance {
			noCrit++
		}
		switch m.Health {
		case "serious":
			serious++
		case "disabled":
			disabled++
		}
		if m.CivilServant {
			civil++
		}
		if m.Undernourished {
			under++
		}
		if m.Labour == "ordinary" || m.Labour == "skilled" {
			able++
		}
		if age >= 10 && schoolingYears[m.Education] > maxYears {
			maxYears = schoolingYears[m.Education]
		}
	}
	f.SetInt(fPersons, row, persons)
	f.SetInt(fChildren, row, children)
	f.SetInt(fOutOfSchool, row, out)
	f.SetInt(fExcused, row, excused)
	f.SetInt(fNoMedical, row, noMed)
	f.SetInt(fNoCritical, row, noCrit)
	f.SetInt(fSerious, row, serious)
	f.SetInt(fDisabled, row, disabled)
	f.SetInt(fCivil, row, civil)
	f.SetInt(fDeceased, row, dead)
	f.SetInt(fUnder, row, under)
	f.SetInt(fAble, row, able)
	f.SetInt(fSchoolYears, row, maxYears)

	var cur, prev *registry.Income
	for i := range h.Incomes {
		in := &h.Incomes[i]
		if in.Year <= period.Year && (cur == nil || in.Year > cur.Year) {
			cur = in
		}
	}
	lineYear := period.Year
	if cur != nil {
		lineYear = cur.Year
		for i := range h.Incomes {
			if h.Incomes[i].Year == cur.Year-1 {
				prev = &h.Incomes[i]
			}
		}
		f.SetInt(fIncomeYear, row, int64(cur.Year))
		f.SetInt(fPerCapita, row, cur.PerCapita)
		f.SetInt(fNet, row, cur.Net)
		f.SetInt(fMedicalSpend, row, cur.MedicalCosts)
		f.SetInt(fSchoolSpend, row, cur.SchoolingCosts)
		f.SetInt(fDisaster, row, cur.DisasterLosses)
		f.SetInt(fRigid, row, cur.MedicalCosts+cur.SchoolingCosts+cur.DisasterLosses)
	} else {
		for _, i := range []int{fIncomeYear, fPerCapita, fNet, fMedicalSpend, fSchoolSpend, fDisaster, fRigid} {
			f.SetInt(i, row, 0)
		}
	}
	if prev != nil {
		f.SetInt(fPrevPerCapita, row, prev.PerCapita)
	} else {
		f.SetInt(fPrevPerCapita, row, 0)
	}
	SetParams(f, row, h.VillageCode, params, lineYear)
	return nil
}

// SetParams fills the parameter facts of a row for a village and year. A
// parameter with no value is marked missing, not an error here: only a
// rule that reads it cannot be judged (see Compiled.Check).
func SetParams(f *Frame, row int, village string, params *Params, year int) {
	r := params.forVillage(village, year)
	f.Missing[row] = r.missing
	for b, i := range ParamFacts {
		f.SetInt(i, row, r.values[b])
	}
}
