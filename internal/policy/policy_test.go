package policy

import (
	"math/big"
	"strings"
	"testing"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

var period = Period{2026, 11}

func mustParams(t testing.TB) *Params {
	t.Helper()
	rows, err := BuiltinParams()
	if err != nil {
		t.Fatal(err)
	}
	return NewParams(rows)
}

func mustSet(t testing.TB, code string) *Compiled {
	t.Helper()
	sets, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range sets {
		if rs.Code == code {
			c, err := rs.Compile()
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("no builtin set %s", code)
	return nil
}

// goodHousehold meets every exit rule in period 2026-11: income 2025 of
// 6,000 yuan per person against the 4,000 line (the latest national row).
func goodHousehold() *registry.Household {
	return &registry.Household{
		VillageCode: "530627001001", Status: "poor", Attribute: "general", Standard: "national",
		IdentifiedYear: 2014, FoodSecure: true, ClothingSecure: true,
		HousingGrade: "B", HousingStructure: "brick_concrete", Relocation: "none",
		WaterSource: "protected_well", WaterLitres: 50, WaterQuality: "tested", WaterMinutes: 10, WaterOutageDays: 5,
		Electricity: true, CookingFuel: "electricity", ImprovedSanitation: true, Assets: 3,
		Members: []registry.Member{
			{BirthDate: "1980-03-01", Health: "healthy", Labour: "ordinary", Education: "junior", MedicalInsurance: true, CriticalInsurance: true},
			{BirthDate: "2014-06-01", Health: "healthy", Labour: "none", StudentStatus: "primary", MedicalInsurance: true, CriticalInsurance: true},
		},
		Incomes: []registry.Income{{Year: 2025, Net: 1200000, PerCapita: 600000}},
	}
}

// judge derives h and returns the failed rule codes of set.
func judge(t *testing.T, set *Compiled, h *registry.Household) []string {
	t.Helper()
	f := NewFrame(1)
	row := f.AddRow(1, h.VillageCode)
	if err := Derive(f, row, h, mustParams(t), period); err != nil {
		t.Fatal(err)
	}
	if err := set.Check(f, row); err != nil {
		t.Fatal(err)
	}
	fail, errs := set.Eval(&Activation{Frame: f, Row: row})
	if errs != 0 {
		t.Fatalf("evaluation errors in rules %b", errs)
	}
	var out []string
	for i, r := range set.Set.Rules {
		if fail&(1<<i) != 0 {
			out = append(out, r.Code)
		}
	}
	return out
}

func TestExitStandardBoundaries(t *testing.T) {
	exit := mustSet(t, "exit-2016")
	if got := judge(t, exit, goodHousehold()); len(got) != 0 {
		t.Fatalf("good household fails %v", got)
	}
	cases := []struct {
		name   string
		change func(h *registry.Household)
		fails  string // "" means passes everything
	}{
		{"income at the line", func(h *registry.Household) { h.Incomes[0].PerCapita = 400000 }, "income"},
		{"income a fen below", func(h *registry.Household) { h.Incomes[0].PerCapita = 399999 }, "income"},
		{"income a fen above", func(h *registry.Household) { h.Incomes[0].PerCapita = 400001 }, ""},
		{"2019 income against the 2019 line", func(h *registry.Household) {
			h.Incomes = []registry.Income{{Year: 2019, PerCapita: 374700}}
		}, "income"},
		{"2019 income above the 2019 line", func(h *registry.Household) {
			h.Incomes = []registry.Income{{Year: 2019, PerCapita: 374701}}
		}, ""},
		{"no income recorded", func(h *registry.Household) { h.Incomes = nil }, "income"},
		{"future income ignored", func(h *registry.Household) {
			h.Incomes = []registry.Income{{Year: 2027, PerCapita: 900000}}
		}, "income"},
		{"food", func(h *registry.Household) { h.FoodSecure = false }, "food"},
		{"clothing", func(h *registry.Household) { h.ClothingSecure = false }, "clothing"},
		{"child out of school", func(h *registry.Household) { h.Members[1].StudentStatus = "dropped_out" }, "education"},
		{"child taught at home", func(h *registry.Household) { h.Members[1].StudentStatus = "home_teaching" }, ""},
		{"child excused by illness", func(h *registry.Household) {
			h.Members[1].StudentStatus = "not_student"
			h.Members[1].Health = "serious"
		}, ""},
		// Ages on 2026-11-30: born 2020-11-30 is 6, 2020-12-01 is 5,
		// 2010-12-01 is 15, 2010-11-30 is 16.
		{"age 6 out of school", func(h *registry.Household) {
			h.Members[1].BirthDate, h.Members[1].StudentStatus = "2020-11-30", "not_student"
		}, "education"},
		{"age 5 out of school", func(h *registry.Household) {
			h.Members[1].BirthDate, h.Members[1].StudentStatus = "2020-12-01", "not_student"
		}, ""},
		{"age 15 out of school", func(h *registry.Household) {
			h.Members[1].BirthDate, h.Members[1].StudentStatus = "2010-12-01", "not_student"
		}, "education"},
		{"age 16 out of school", func(h *registry.Household) {
			h.Members[1].BirthDate, h.Members[1].StudentStatus = "2010-11-30", "not_student"
		}, ""},
		{"dead child not counted", func(h *registry.Household) {
			h.Members[1].StudentStatus, h.Members[1].Deceased = "dropped_out", true
		}, ""},
		{"no medical insurance", func(h *registry.Household) { h.Members[0].MedicalInsurance = false }, "medical_insurance"},
		{"no critical insurance", func(h *registry.Household) { h.Members[1].CriticalInsurance = false }, "critical_insurance"},
		{"grade A", func(h *registry.Household) { h.HousingGrade = "A" }, ""},
		{"grade C", func(h *registry.Household) { h.HousingGrade = "C" }, "housing"},
		{"grade D", func(h *registry.Household) { h.HousingGrade = "D" }, "housing"},
		{"grade D relocated", func(h *registry.Household) { h.HousingGrade, h.Relocation = "D", "centralised" }, ""},
		{"water 35 L", func(h *registry.Household) { h.WaterLitres = 35 }, ""},
		{"water 34 L", func(h *registry.Household) { h.WaterLitres = 34 }, "water_quantity"},
		{"water 36 L", func(h *registry.Household) { h.WaterLitres = 36 }, ""},
		{"water quality basic", func(h *registry.Household) { h.WaterQuality = "basic" }, ""},
		{"water quality failed", func(h *registry.Household) { h.WaterQuality = "failed" }, "water_quality"},
		{"water quality unknown", func(h *registry.Household) { h.WaterQuality = "unknown" }, "water_quality"},
		{"water 20 min", func(h *registry.Household) { h.WaterMinutes = 20 }, ""},
		{"water 21 min", func(h *registry.Household) { h.WaterMinutes = 21 }, "water_convenience"},
		{"water 19 min", func(h *registry.Household) { h.WaterMinutes = 19 }, ""},
		{"tap water far", func(h *registry.Household) { h.WaterSource, h.WaterMinutes = "tap", 60 }, ""},
		{"outage 36 days", func(h *registry.Household) { h.WaterOutageDays = 36 }, ""},
		{"outage 37 days", func(h *registry.Household) { h.WaterOutageDays = 37 }, "water_reliability"},
		{"outage 35 days", func(h *registry.Household) { h.WaterOutageDays = 35 }, ""},
		{"identified this year", func(h *registry.Household) { h.IdentifiedYear = 2026 }, "not_new"},
		{"identified last year", func(h *registry.Household) { h.IdentifiedYear = 2025 }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := goodHousehold()
			c.change(h)
			got := strings.Join(judge(t, exit, h), ",")
			if got != c.fails {
				t.Errorf("fails %q, want %q", got, c.fails)
			}
		})
	}
}

func TestWaterShortAreaParameter(t *testing.T) {
	rows, _ := BuiltinParams()
	// A water-short township sets 20 L; its villages use it, others keep 35.
	rows = append(rows, Param{Jurisdiction: "530627001", Year: 2016, Kind: ParamWaterLitres, Value: 20, Certainty: "C"})
	p := NewParams(rows)
	if v, _ := p.Lookup(ParamWaterLitres, "530627001001", 2026); v.Value != 20 {
		t.Fatalf("water-short township: %d", v.Value)
	}
	if v, _ := p.Lookup(ParamWaterLitres, "530627002001", 2026); v.Value != 35 {
		t.Fatalf("other township: %d", v.Value)
	}
	// A province row from 2023 does not reach back to 2021.
	p = NewParams(append(rows, Param{Jurisdiction: "53", Year: 2023, Kind: ParamMonitoringLine, Value: 800000, Certainty: "U"}))
	if v, _ := p.Lookup(ParamMonitoringLine, "530627001001", 2021); v.Value != 600000 {
		t.Fatalf("2021 monitoring line: %d", v.Value)
	}
	if v, _ := p.Lookup(ParamMonitoringLine, "530627001001", 2024); v.Value != 800000 {
		t.Fatalf("2024 monitoring line: %d", v.Value)
	}
	if _, ok := p.Lookup(ParamExitLine, "530627001001", 2012); ok {
		t.Fatal("a line before any row")
	}
	f := NewFrame(1)
	h := goodHousehold()
	h.Incomes[0].Year = 2012
	row := f.AddRow(1, h.VillageCode)
	if err := Derive(f, row, h, p, Period{2012, 5}); err != nil {
		t.Fatal(err)
	}
	// The exit set reads the income line, which 2012 lacks: refused. The
	// exclusion set reads no parameter: judged.
	if err := mustSet(t, "exit-2016").Check(f, row); err == nil || fault.KindOf(err) != fault.Invalid {
		t.Fatalf("missing parameter: %v", err)
	}
	if err := mustSet(t, "exclusion-2016").Check(f, row); err != nil {
		t.Fatal(err)
	}
}

func TestMonitoringTriggers(t *testing.T) {
	mon := mustSet(t, "monitor-2021")
	exited := func() *registry.Household {
		h := goodHousehold()
		h.Status, h.ExitYear = "exited", 2019
		h.Incomes = []registry.Income{{Year: 2024, PerCapita: 900000, Net: 1800000}, {Year: 2025, PerCapita: 800000, Net: 1600000}}
		return h
	}
	// The 2025 monitoring line is the 2023 row: 7,300 yuan.
	cases := []struct {
		name   string
		change func(h *registry.Household)
		flags  string
	}{
		{"stable", func(h *registry.Household) {}, ""},
		{"at the monitoring line", func(h *registry.Household) { h.Incomes[1].PerCapita = 730000 }, ""},
		{"a fen below", func(h *registry.Household) { h.Incomes[1].PerCapita = 729999 }, "unstable_income"},
		{"a fen above", func(h *registry.Household) { h.Incomes[1].PerCapita = 730001 }, ""},
		{"poor household below the line is not a monitoring case", func(h *registry.Household) {
			h.Status, h.Incomes[1].PerCapita = "poor", 500000
		}, ""},
		{"edge household below", func(h *registry.Household) { h.Status, h.Incomes[1].PerCapita = "non_poor", 729999 }, "edge_income"},
		{"edge household at", func(h *registry.Household) { h.Status, h.Incomes[1].PerCapita = "non_poor", 730000 }, ""},
		{"guarantee lost", func(h *registry.Household) { h.HousingGrade = "D" }, "unstable_guarantee"},
		{"rigid spending equal to income", func(h *registry.Household) { h.Incomes[1].MedicalCosts = 1600000 }, ""},
		{"rigid spending above income", func(h *registry.Household) {
			h.Incomes[1].MedicalCosts, h.Incomes[1].DisasterLosses = 1000000, 600001
		}, "rigid_spending"},
		{"income halved exactly", func(h *registry.Household) { h.Incomes[1].PerCapita = 450000 }, "unstable_income"},
		{"income halved, above the line", func(h *registry.Household) {
			h.Incomes[0].PerCapita, h.Incomes[1].PerCapita = 2000000, 1000000
		}, ""},
		{"income below half", func(h *registry.Household) {
			h.Incomes[0].PerCapita, h.Incomes[1].PerCapita = 2000000, 999999
		}, "income_drop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := exited()
			c.change(h)
			if got := strings.Join(judge(t, mon, h), ","); got != c.flags {
				t.Errorf("flags %q, want %q", got, c.flags)
			}
		})
	}
}

func TestExclusions(t *testing.T) {
	ex := mustSet(t, "exclusion-2016")
	for _, c := range []struct {
		change func(h *registry.Household)
		flag   string
	}{
		{func(h *registry.Household) {}, ""},
		{func(h *registry.Household) { h.HasCar = true }, "car"},
		{func(h *registry.Household) { h.HasTownHouse = true }, "town_house"},
		{func(h *registry.Household) { h.HasBusiness = true }, "business"},
		{func(h *registry.Household) { h.Members[0].CivilServant = true }, "civil_servant"},
		{func(h *registry.Household) { h.Members[0].CivilServant, h.Members[0].Deceased = true, true }, ""},
	} {
		h := goodHousehold()
		c.change(h)
		if got := strings.Join(judge(t, ex, h), ","); got != c.flag {
			t.Errorf("flags %q, want %q", got, c.flag)
		}
	}
}

func TestGlobalMPIScoresAndCutoff(t *testing.T) {
	mpi := mustSet(t, "mpi-global")
	k, _ := ParseFraction(mpi.Set.Cutoff)
	// deprive sets the indicators; weights: health and education 3/18,
	// living standards 1/18.
	deprive := func(h *registry.Household, codes ...string) {
		for _, c := range codes {
			switch c {
			case "nutrition":
				h.Members[0].Undernourished = true
			case "child_mortality":
				h.ChildDeaths = 1
			case "years_of_schooling":
				h.Members[0].Education = "none"
			case "school_attendance":
				h.Members[1].StudentStatus = "dropped_out"
			case "cooking_fuel":
				h.CookingFuel = "firewood"
			case "sanitation":
				h.ImprovedSanitation = false
			case "drinking_water":
				h.WaterMinutes = 31
			case "electricity":
				h.Electricity = false
			case "housing":
				h.HousingStructure = "earth_wood"
			case "assets":
				h.Assets = 1
			}
		}
	}
	cases := []struct {
		codes              []string
		units              int64
		poor, vuln, severe bool
	}{
		{nil, 0, false, false, false},
		{[]string{"cooking_fuel", "sanitation", "electricity"}, 3, false, false, false},                        // 3/18 < 1/5
		{[]string{"cooking_fuel", "sanitation", "electricity", "assets"}, 4, false, true, false},               // 4/18 ≥ 1/5
		{[]string{"nutrition", "cooking_fuel", "sanitation"}, 5, false, true, false},                           // just below 1/3
		{[]string{"nutrition", "school_attendance"}, 6, true, false, false},                                    // exactly 1/3
		{[]string{"nutrition", "cooking_fuel", "sanitation", "housing", "electricity"}, 7, true, false, false}, // just above
		{[]string{"nutrition", "child_mortality", "years_of_schooling"}, 9, true, false, true},                 // exactly 1/2
		{[]string{"nutrition", "child_mortality", "drinking_water", "assets"}, 8, true, false, false},
	}
	for _, c := range cases {
		h := goodHousehold()
		deprive(h, c.codes...)
		got := judge(t, mpi, h)
		if strings.Join(got, ",") != strings.Join(sortedLike(mpi, c.codes), ",") {
			t.Errorf("%v: deprived in %v", c.codes, got)
			continue
		}
		var mask uint64
		for i, r := range mpi.Set.Rules {
			for _, code := range c.codes {
				if r.Code == code {
					mask |= 1 << i
				}
			}
		}
		m := ComputeMPI(mpi.Set, k, "x", []MaskGroup{{Area: "x", Mask: mask, Households: 1, Persons: 2}})
		if (m.PoorPersons == 2) != c.poor || (m.VulnerablePersons == 2) != c.vuln || (m.SeverePersons == 2) != c.severe {
			t.Errorf("%v (%d/18): poor %d vulnerable %d severe %d", c.codes, c.units, m.PoorPersons, m.VulnerablePersons, m.SeverePersons)
		}
		if c.poor && (m.A != float64(c.units)/18 || m.H != 1) {
			t.Errorf("%v: H %v A %v", c.codes, m.H, m.A)
		}
	}
}

// sortedLike orders codes as the set's rules are ordered.
func sortedLike(c *Compiled, codes []string) []string {
	var out []string
	for _, r := range c.Set.Rules {
		for _, code := range codes {
			if r.Code == code {
				out = append(out, code)
			}
		}
	}
	return out
}

func TestMPIArithmetic(t *testing.T) {
	rs := &RuleSet{Denominator: 4, Vulnerable: "1/5", Severe: "1/2", Rules: []Rule{
		{Code: "a", Weight: 2}, {Code: "b", Weight: 1}, {Code: "c", Weight: 1}}}
	k := big.NewRat(1, 2)
	groups := []MaskGroup{
		{Area: "v1", Mask: 0b011, Households: 1, Persons: 4}, // 3/4: poor
		{Area: "v1", Mask: 0b001, Households: 1, Persons: 2}, // 2/4: poor, exactly k
		{Area: "v2", Mask: 0b100, Households: 1, Persons: 3}, // 1/4: vulnerable
		{Area: "v2", Mask: 0, Households: 2, Persons: 1},
	}
	m := ComputeMPI(rs, k, "all", groups)
	// n = 10 persons; poor 6; scores 3/4·4 + 2/4·2 = 4 → M0 = 0.4, A = 4/6.
	if m.Persons != 10 || m.PoorPersons != 6 || m.H != 0.6 || m.M0 != 0.4 || m.A != 4.0/6 {
		t.Fatalf("H %v A %v M0 %v n %d q %d", m.H, m.A, m.M0, m.Persons, m.PoorPersons)
	}
	if d := m.M0 - m.H*m.A; d > 1e-12 || d < -1e-12 {
		t.Fatalf("M0 %v ≠ H·A %v", m.M0, m.H*m.A)
	}
	var sum float64
	for _, ind := range m.Indicators {
		sum += ind.Contribution
	}
	if sum < 0.999999 || sum > 1.000001 {
		t.Fatalf("contributions sum to %v", sum)
	}
	// Censored headcount of c is 0 (its only household is not poor);
	// uncensored is 3/10.
	if c := m.Indicators[2]; c.Censored != 0 || c.Uncensored != 0.3 {
		t.Fatalf("indicator c: %+v", c)
	}
	if m.VulnerablePersons != 3 || m.SeverePersons != 6 {
		t.Fatalf("vulnerable %d severe %d", m.VulnerablePersons, m.SeverePersons)
	}
	if len(m.SubAreas) != 2 || m.SubAreas[0].PoorPersons != 6 || m.SubAreas[1].PoorPersons != 0 {
		t.Fatalf("sub-areas %+v", m.SubAreas)
	}
	// A decimal cutoff a hair below 1/2 keeps the 2/4 household poor; one
	// a hair above drops it: weights are exact.
	above, _ := ParseFraction("0.5000001")
	if m := ComputeMPI(rs, above, "all", groups); m.PoorPersons != 4 {
		t.Fatalf("k above 1/2: poor %d", m.PoorPersons)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		expr, key, pos string
	}{
		{"per_capita_incme > income_line", "reason.cel_unknown_fact", "1:1"},
		{"persons > 0 &&\n  houseing_grade == 'A'", "reason.cel_unknown_fact", "2:3"},
		{"persons > 'three'", "reason.cel_error", "1:9"},
		{"persons +", "reason.cel_error", "1:"},
		{"persons + 1", "reason.cel_not_bool", ""},
		{"", "reason.required", ""},
	} {
		_, err := Compile("expression", c.expr)
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid || len(fe.Fields) == 0 {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		r := fe.Fields[0].Reason
		if r.Key != c.key {
			t.Errorf("%q: key %s, want %s", c.expr, r.Key, c.key)
		}
		if c.pos != "" && !strings.HasPrefix(r.Args["line"]+":"+r.Args["column"], c.pos) {
			t.Errorf("%q: at %s:%s, want %s", c.expr, r.Args["line"], r.Args["column"], c.pos)
		}
	}
	p, err := Compile("expression", "per_capita_income > income_line && persons >= 2")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.FieldNames(), ","); got != "persons,per_capita_income,income_line" {
		t.Fatalf("fields %s", got)
	}
}

func TestCostLimit(t *testing.T) {
	// A nested comprehension over literal lists estimates far above the
	// limit and is refused when saved.
	expr := "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a+b+c+d > persons))))"
	_, err := Compile("expression", expr)
	if fe, ok := fault.As(err); !ok || fe.Fields[0].Reason.Key != "reason.cel_cost" {
		t.Fatalf("cost: %v", err)
	}
}

func TestRuleSetChecks(t *testing.T) {
	rs := &RuleSet{Code: "Bad Code", Kind: "mpi", Sense: "pass", NameZh: "x", NameEn: "x", EffectiveFrom: "2026-13-01",
		Denominator: 10, Cutoff: "1/3", Vulnerable: "2", Severe: "1/2",
		Rules: []Rule{
			{Code: "aa", Indicator: "income", Expression: "persons > 0", DescZh: "a", DescEn: "a", Weight: 3},
			{Code: "aa", Indicator: "nowhere", Expression: "persns > 0", DescZh: "b", Weight: 3},
		}}
	_, err := rs.Compile()
	fe, ok := fault.As(err)
	if !ok {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fe.Fields {
		got = append(got, f.Field)
	}
	want := "code,effective_from,rules[1].code,rules[1].indicator,rules[1].desc_en,rules[1].expression,denominator,vulnerable,sense"
	if strings.Join(got, ",") != want {
		t.Fatalf("fields %v\nwant %s", got, want)
	}
}

// TestHandwrittenMatchesCEL runs both exit implementations over random
// facts, the boundaries included.
func TestHandwrittenMatchesCEL(t *testing.T) {
	exit := mustSet(t, "exit-2016")
	f := RandomFrame(20000, 7)
	a := &Activation{Frame: f}
	for r := 0; r < f.Len(); r++ {
		a.Row = r
		cel, errs := exit.Eval(a)
		if errs != 0 {
			t.Fatalf("row %d: errors %b", r, errs)
		}
		if gw := HandwrittenExit(f, r); gw != cel {
			t.Fatalf("row %d: Go %012b, CEL %012b", r, gw, cel)
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := RandomFrame(50, 3)
	g := NewFrame(1)
	for r := 0; r < f.Len(); r++ {
		b := f.AppendSnapshot(nil, r)
		g.Reset()
		row := g.AddRow(f.HouseholdID[r], f.Village[r])
		if err := g.LoadSnapshot(row, b); err != nil {
			t.Fatal(err)
		}
		if c := g.AppendSnapshot(nil, row); string(c) != string(b) {
			t.Fatalf("row %d:\n%s\n%s", r, b, c)
		}
	}
	g.Reset()
	row := g.AddRow(1, "x")
	for _, bad := range []string{"", "[", "{}", `[1,true]`, `["x"` + strings.Repeat(",1", len(Facts)-1) + "]"} {
		if err := g.LoadSnapshot(row, []byte(bad)); err == nil {
			t.Errorf("snapshot %q accepted", bad)
		}
	}
}

func BenchmarkEvalExit(b *testing.B) {
	exit := mustSet(b, "exit-2016")
	f := RandomFrame(100000, 1)
	b.Run("cel", func(b *testing.B) {
		a := &Activation{Frame: f}
		for i := 0; b.Loop(); i++ {
			a.Row = i % f.Len()
			exit.Eval(a)
		}
	})
	b.Run("go", func(b *testing.B) {
		var sink uint64
		for i := 0; b.Loop(); i++ {
			sink += HandwrittenExit(f, i%f.Len())
		}
		_ = sink
	})
}

func TestEveryFactIsDescribed(t *testing.T) {
	for _, f := range Facts {
		key := "fact." + f.Name
		for _, lang := range []string{i18n.ZH, i18n.EN} {
			if i18n.T(lang, key) == key {
				t.Errorf("%s has no %s description", key, lang)
			}
		}
		if f.Type == String && len(registry.Lists[f.List]) == 0 {
			t.Errorf("%s: unknown code list %q", f.Name, f.List)
		}
	}
}

// TestFastMatchesCEL checks the fast programs against cel-go's
// interpreter on random facts: every shipped rule, and expressions at the
// edges of CEL's semantics (overflow, division by zero, errors absorbed
// by && and ||), where the fast program must hand over to cel-go.
func TestFastMatchesCEL(t *testing.T) {
	f := RandomFrame(5000, 11)
	// Extreme values so arithmetic overflows on some rows.
	for r := 0; r < f.Len(); r += 7 {
		f.SetInt(fPerCapita, r, 1<<62)
		f.SetInt(fPersons, r, 0)
	}
	sets, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	a := &Activation{Frame: f}
	for _, rs := range sets {
		c, err := rs.Compile()
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range c.Programs {
			if !p.Fast() {
				t.Errorf("%s rule %s is not fast: %s", rs.Code, rs.Rules[i].Code, p.Expression)
			}
		}
		for r := 0; r < f.Len(); r++ {
			a.Row = r
			fast, fe := c.Eval(a)
			slow, se := c.EvalCEL(a)
			if fast != slow || fe != se {
				t.Fatalf("%s row %d: fast %b/%b, cel %b/%b", rs.Code, r, fast, fe, slow, se)
			}
		}
	}
	for _, expr := range []string{
		"per_capita_income * 4 > 0",
		"per_capita_income + per_capita_income > 0 || persons > 1",
		"persons > 1 || per_capita_income * 4 > 0",
		"net_income / persons > 100000",
		"net_income % persons == 0 && persons != 0",
		"persons != 0 && net_income / persons > 100000",
		"-per_capita_income < -400000",
		"status in ['exited', 'pre_exit'] ? per_capita_income < monitoring_line : false",
		"housing_grade >= 'B' && !(water_source in ['tap']) && persons in [1, 2, 3]",
		"status == 'poor' == food_secure",
		"per_capita_income - income_line <= 5 && per_capita_income - income_line >= -5",
		"persons - 9223372036854775807 - 2 < 0",
	} {
		p, err := Compile("expression", expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if !p.Fast() {
			t.Errorf("%s is not fast", expr)
		}
		var fastErrs, celErrs int
		for r := 0; r < f.Len(); r++ {
			a.Row = r
			v1, e1 := p.Eval(a)
			v2, e2 := p.EvalCEL(a)
			if v1 != v2 || (e1 == nil) != (e2 == nil) {
				t.Fatalf("%s row %d: fast %v %v, cel %v %v", expr, r, v1, e1, v2, e2)
			}
			if e1 != nil {
				fastErrs++
			}
			if e2 != nil {
				celErrs++
			}
		}
		t.Logf("%s: %d errors", expr, celErrs)
	}
	// Outside the subset: left to cel-go.
	for _, expr := range []string{"[1, 2].exists(x, x == persons)", "size(status) > 3", "double(persons) > 1.5", "status.startsWith('p')"} {
		p, err := Compile("expression", expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if p.Fast() {
			t.Errorf("%s should not be fast", expr)
		}
	}
}
