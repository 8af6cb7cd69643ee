package policy

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// Parameter kinds. Money is in fen; rates are in basis points (1/100 of
// a percent), so 3% is 300.
const (
	ParamExitLine       = "exit_income_line"      // 脱贫标准, per capita per year
	ParamMonitoringLine = "monitoring_line"       // 防返贫监测范围
	ParamWaterLitres    = "water_litres_min"      // litres per person per day
	ParamWaterMinutes   = "water_minutes_max"     // round trip to fetch water
	ParamWaterOutage    = "water_outage_max"      // days of interruption a year
	ParamVillageRate    = "village_incidence_max" // 贫困村出列: incidence
	ParamCountyRate     = "county_incidence_max"  // 贫困县摘帽: incidence
	ParamWrongfulExit   = "wrongful_exit_max"     // 错退率
	ParamMissed         = "missed_max"            // 漏评率
	ParamApproval       = "approval_min"          // 群众认可度
)

// ParamKinds lists the kinds with their units, in display order.
var ParamKinds = []struct{ Kind, Unit string }{
	{ParamExitLine, "fen"}, {ParamMonitoringLine, "fen"},
	{ParamWaterLitres, "litres"}, {ParamWaterMinutes, "minutes"}, {ParamWaterOutage, "days"},
	{ParamVillageRate, "bp"}, {ParamCountyRate, "bp"}, {ParamWrongfulExit, "bp"}, {ParamMissed, "bp"}, {ParamApproval, "bp"},
}

// ParamDeadlinePrefix starts the kinds that give the days a measure of a
// category (帮扶措施类别) has before it is overdue: deadline_housing …
const ParamDeadlinePrefix = "deadline_"

// UnitOf returns the unit of a parameter kind, "" when the kind is unknown.
func UnitOf(kind string) string {
	if strings.HasPrefix(kind, ParamDeadlinePrefix) && len(kind) > len(ParamDeadlinePrefix) {
		return "days"
	}
	for _, k := range ParamKinds {
		if k.Kind == kind {
			return k.Unit
		}
	}
	return ""
}

// Param is one row of the parameter table: the value of a kind for a
// jurisdiction (a division-code prefix; "" is national) from a year on.
// Certainty is C (confirmed), P (provincial or secondary source) or U
// (unconfirmed), as DOMAIN.md grades facts.
type Param struct {
	Jurisdiction string `json:"jurisdiction"`
	Year         int    `json:"year"`
	Kind         string `json:"kind"`
	Value        int64  `json:"value"`
	Source       string `json:"source"`
	Certainty    string `json:"certainty"`
}

// Check validates a parameter row.
func (p Param) Check() []fault.FieldError {
	var errs []fault.FieldError
	if UnitOf(p.Kind) == "" {
		errs = append(errs, fault.FieldError{Field: "kind", Value: p.Kind, Reason: i18n.M("reason.enum")})
	}
	if p.Jurisdiction != "" && (len(p.Jurisdiction)%2 != 0 && len(p.Jurisdiction) != 9 || strings.Trim(p.Jurisdiction, "0123456789") != "") {
		errs = append(errs, fault.FieldError{Field: "jurisdiction", Value: p.Jurisdiction, Reason: i18n.M("reason.division_unknown")})
	}
	if p.Year < 2010 || p.Year > 2100 {
		errs = append(errs, fault.FieldError{Field: "year", Value: strconv.Itoa(p.Year), Reason: i18n.M("reason.range", "min", "2010", "max", "2100")})
	}
	if p.Value < 0 {
		errs = append(errs, fault.FieldError{Field: "value", Value: strconv.FormatInt(p.Value, 10), Reason: i18n.M("reason.negative")})
	}
	switch p.Certainty {
	case "C", "P", "U":
	default:
		errs = append(errs, fault.FieldError{Field: "certainty", Value: p.Certainty, Reason: i18n.M("reason.enum")})
	}
	return errs
}

// Params is the parameter table, indexed for lookup.
type Params struct {
	rows map[string][]Param // by kind; longest jurisdiction first, then latest year first
	memo sync.Map           // resolved parameter facts by village and year
}

// resolved is the parameter facts of one village and year, in
// ParamFacts order, with the missing ones marked.
type resolved struct {
	values  []int64
	missing uint8
}

type memoKey struct {
	village string
	year    int
}

// forVillage resolves every parameter fact for a village and year once.
func (p *Params) forVillage(village string, year int) *resolved {
	k := memoKey{village, year}
	if v, ok := p.memo.Load(k); ok {
		return v.(*resolved)
	}
	r := &resolved{values: make([]int64, len(ParamFacts))}
	for b, i := range ParamFacts {
		if v, ok := p.Lookup(Facts[i].Param, village, year); ok {
			r.values[b] = v.Value
		} else {
			r.missing |= 1 << b
		}
	}
	p.memo.Store(k, r)
	return r
}

// NewParams indexes rows.
func NewParams(rows []Param) *Params {
	p := &Params{rows: map[string][]Param{}}
	for _, r := range rows {
		p.rows[r.Kind] = append(p.rows[r.Kind], r)
	}
	for _, rs := range p.rows {
		sort.Slice(rs, func(i, j int) bool {
			if len(rs[i].Jurisdiction) != len(rs[j].Jurisdiction) {
				return len(rs[i].Jurisdiction) > len(rs[j].Jurisdiction)
			}
			return rs[i].Year > rs[j].Year
		})
	}
	return p
}

// Lookup finds the value of kind for the division code in year: the most
// specific jurisdiction that covers code and has a row for year or an
// earlier year, and in it the latest such year.
func (p *Params) Lookup(kind, code string, year int) (Param, bool) {
	for _, r := range p.rows[kind] {
		if r.Year <= year && strings.HasPrefix(code, r.Jurisdiction) {
			return r, true
		}
	}
	return Param{}, false
}

// All returns every row, by kind, jurisdiction and year.
func (p *Params) All() []Param {
	var out []Param
	for _, rs := range p.rows {
		out = append(out, rs...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Jurisdiction != b.Jurisdiction {
			return a.Jurisdiction < b.Jurisdiction
		}
		return a.Year < b.Year
	})
	return out
}

// MissingParam is the error for a household whose jurisdiction and year
// have no value of a parameter a rule needs: assessing it against zero
// would pass or fail it silently.
func MissingParam(kind, code string, year int) error {
	return fault.New(fault.Invalid, "error.param_missing", "kind", kind, "area", code, "year", strconv.Itoa(year))
}
