package registry

import (
	"slices"
	"strconv"
	"time"

	"tuopin/internal/fault"
)

// Visit is one visit to a household (走访): when, how, what was observed
// and by whom. The facts it observed update the household's record, with
// history, in the same transaction.
type Visit struct {
	ID            int64      `json:"id"`
	County        string     `json:"county"`
	HouseholdID   int64      `json:"household_id"`
	VillageCode   string     `json:"village_code"`
	Date          string     `json:"date"`   // YYYY-MM-DD
	Period        string     `json:"period"` // YYYY-MM, from Date
	Kind          string     `json:"kind"`   // in_person or phone
	Visitor       string     `json:"visitor"`
	CadreID       int64      `json:"cadre_id"`        // the visitor's cadre record, 0 if none
	PairedCadreID int64      `json:"paired_cadre_id"` // the household's paired cadre at the time
	Facts         VisitFacts `json:"facts"`
	NoProblem     bool       `json:"no_problem"` // the visitor reports nothing wrong (没问题)
	Notes         string     `json:"notes"`
	Lat           *float64   `json:"lat,omitempty"`
	Lng           *float64   `json:"lng,omitempty"`
	Photo         string     `json:"photo,omitempty"` // reference to a stored photo
	CreatedAt     time.Time  `json:"created_at"`
	// CaseID is the monitoring case the visit's risks opened or joined.
	CaseID int64 `json:"case_id,omitempty"`
}

// VisitFacts are the facts a visit observed; a nil field was not
// observed and leaves the record as it is.
type VisitFacts struct {
	FoodSecure         *bool         `json:"food_secure,omitempty"`
	ClothingSecure     *bool         `json:"clothing_secure,omitempty"`
	HousingGrade       *string       `json:"housing_grade,omitempty"`
	Relocation         *string       `json:"relocation,omitempty"`
	WaterSource        *string       `json:"water_source,omitempty"`
	WaterLitres        *int          `json:"water_litres,omitempty"`
	WaterQuality       *string       `json:"water_quality,omitempty"`
	WaterMinutes       *int          `json:"water_minutes,omitempty"`
	WaterOutageDays    *int          `json:"water_outage_days,omitempty"`
	Electricity        *bool         `json:"electricity,omitempty"`
	CookingFuel        *string       `json:"cooking_fuel,omitempty"`
	ImprovedSanitation *bool         `json:"improved_sanitation,omitempty"`
	Income             *Income       `json:"income,omitempty"`
	Members            []MemberFacts `json:"members,omitempty"`
	// Risks are events the visitor saw (illness, disaster, accident,
	// unemployment, schooling, other): leads for monitoring.
	Risks []string `json:"risks,omitempty"`
}

// MemberFacts are what a visit observed of one member.
type MemberFacts struct {
	ID                int64   `json:"id"`
	StudentStatus     *string `json:"student_status,omitempty"`
	Health            *string `json:"health,omitempty"`
	Labour            *string `json:"labour,omitempty"`
	MedicalInsurance  *bool   `json:"medical_insurance,omitempty"`
	CriticalInsurance *bool   `json:"critical_insurance,omitempty"`
	Deceased          *bool   `json:"deceased,omitempty"`
}

// VisitKinds and RiskKinds are the codes a visit may carry.
var (
	VisitKinds = []string{"in_person", "phone"}
	RiskKinds  = []string{"illness", "disaster", "accident", "unemployment", "schooling", "other"}
)

// Visit checks a visit's own fields and fills Period from Date. The facts
// are checked when applied to the household (Apply), with the same checks
// as any edit.
func (c Checker) Visit(v *Visit) []fault.FieldError {
	var errs []fault.FieldError
	d, err := time.Parse("2006-01-02", v.Date)
	switch {
	case err != nil:
		errs = append(errs, bad("date", v.Date, "reason.date"))
	case d.After(c.Now) || d.Year() < 2013:
		errs = append(errs, bad("date", v.Date, "reason.visit_date"))
	default:
		v.Period = v.Date[:7]
	}
	if !slices.Contains(VisitKinds, v.Kind) {
		errs = append(errs, bad("kind", v.Kind, "reason.enum"))
	}
	for _, r := range v.Facts.Risks {
		if !slices.Contains(RiskKinds, r) {
			errs = append(errs, bad("risks", r, "reason.enum"))
		}
	}
	text(&errs, "notes", v.Notes, false, 2000)
	if v.Lat != nil && (*v.Lat < -90 || *v.Lat > 90) {
		errs = append(errs, bad("lat", strconv.FormatFloat(*v.Lat, 'f', -1, 64), "reason.range", "min", "-90", "max", "90"))
	}
	if v.Lng != nil && (*v.Lng < -180 || *v.Lng > 180) {
		errs = append(errs, bad("lng", strconv.FormatFloat(*v.Lng, 'f', -1, 64), "reason.range", "min", "-180", "max", "180"))
	}
	return errs
}

// Apply writes the observed facts onto a copy of the household and its
// members; the caller checks and stores the result. It reports the
// members changed and a field error for a member not in the household.
func (f VisitFacts) Apply(h *Household) (changed []int, errs []fault.FieldError) {
	setIf(&h.FoodSecure, f.FoodSecure)
	setIf(&h.ClothingSecure, f.ClothingSecure)
	setIf(&h.HousingGrade, f.HousingGrade)
	setIf(&h.Relocation, f.Relocation)
	setIf(&h.WaterSource, f.WaterSource)
	setIf(&h.WaterLitres, f.WaterLitres)
	setIf(&h.WaterQuality, f.WaterQuality)
	setIf(&h.WaterMinutes, f.WaterMinutes)
	setIf(&h.WaterOutageDays, f.WaterOutageDays)
	setIf(&h.Electricity, f.Electricity)
	setIf(&h.CookingFuel, f.CookingFuel)
	setIf(&h.ImprovedSanitation, f.ImprovedSanitation)
	for _, mf := range f.Members {
		i := -1
		for j := range h.Members {
			if h.Members[j].ID == mf.ID {
				i = j
			}
		}
		if i < 0 {
			errs = append(errs, bad("members", strconv.FormatInt(mf.ID, 10), "reason.member_unknown"))
			continue
		}
		m := &h.Members[i]
		setIf(&m.StudentStatus, mf.StudentStatus)
		setIf(&m.Health, mf.Health)
		setIf(&m.Labour, mf.Labour)
		setIf(&m.MedicalInsurance, mf.MedicalInsurance)
		setIf(&m.CriticalInsurance, mf.CriticalInsurance)
		setIf(&m.Deceased, mf.Deceased)
		changed = append(changed, i)
	}
	return changed, errs
}

// setIf copies an observed value over the record's, when there is one.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// FactsOf is the household's record seen as a visit's observations: every
// field a visit can observe, as the registry holds it now.
func FactsOf(h *Household) VisitFacts {
	f := VisitFacts{FoodSecure: &h.FoodSecure, ClothingSecure: &h.ClothingSecure, HousingGrade: &h.HousingGrade, Relocation: &h.Relocation,
		WaterSource: &h.WaterSource, WaterLitres: &h.WaterLitres, WaterQuality: &h.WaterQuality, WaterMinutes: &h.WaterMinutes,
		WaterOutageDays: &h.WaterOutageDays, Electricity: &h.Electricity, CookingFuel: &h.CookingFuel, ImprovedSanitation: &h.ImprovedSanitation}
	for i := range h.Members {
		m := &h.Members[i]
		f.Members = append(f.Members, MemberFacts{ID: m.ID, StudentStatus: &m.StudentStatus, Health: &m.Health, Labour: &m.Labour,
			MedicalInsurance: &m.MedicalInsurance, CriticalInsurance: &m.CriticalInsurance, Deceased: &m.Deceased})
	}
	return f
}
