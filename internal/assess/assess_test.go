package assess_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/fault"
	"tuopin/internal/idcard"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

var ctx = context.Background()

var period = policy.Period{Year: 2026, Month: 11}

var admin = auth.Principal{Username: "admin", Role: auth.CountyAdmin, Area: "530627"}

// county loads a small demo county and assesses November 2026.
func county(t *testing.T, s *store.Store, n int) (*assess.Assessor, *store.Run) {
	t.Helper()
	if _, err := demo.Load(ctx, s, demo.Options{Households: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	a := assess.New(s)
	run, err := a.Period(ctx, admin, period, assess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a, run
}

// facts derives one household's facts the way the assessor does.
func facts(t *testing.T, s *store.Store, id int64) (*policy.Frame, int) {
	t.Helper()
	h, err := s.GetHousehold(ctx, admin, id)
	if err != nil {
		t.Fatal(err)
	}
	params, err := s.Params(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := policy.NewFrame(1)
	row := f.AddRow(h.ID, h.VillageCode)
	if err := policy.Derive(f, row, &h, params, period); err != nil {
		t.Fatal(err)
	}
	return f, row
}

func TestFullRunExplainAndReplay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, run := county(t, s, 300)
		if run.Households != 300 || run.Errors != 0 {
			t.Fatalf("run: %+v", run)
		}
		hs, _, err := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		var failedIncome, checked int
		for _, h := range hs[:40] {
			ex, err := a.Explain(ctx, admin, h.ID, "2026-11")
			if err != nil {
				t.Fatal(err)
			}
			if len(ex.Sets) != 5 {
				t.Fatalf("household %d: %d sets", h.ID, len(ex.Sets))
			}
			f, row := facts(t, s, h.ID)
			// The run's lean reader and a full read derive the same facts.
			finds, err := s.Findings(ctx, admin, h.ID, "2026-11")
			if err != nil || len(finds) != 5 {
				t.Fatalf("findings: %d %v", len(finds), err)
			}
			if want := f.AppendSnapshot(nil, row); string(finds[0].Snapshot) != string(want) {
				t.Fatalf("household %d snapshot\n%s\nwant\n%s", h.ID, finds[0].Snapshot, want)
			}
			for _, set := range ex.Sets {
				if set.Code != "exit-2016" {
					continue
				}
				income := set.Rules[0]
				// The explanation carries the inputs the rule read, and
				// they are the household's facts.
				if len(income.Inputs) != 3 || income.Inputs[1].Name != "per_capita_income" || income.Inputs[1].Value != f.Int(policy.MustFact("per_capita_income"), row) {
					t.Fatalf("income inputs %+v", income.Inputs)
				}
				above := f.Int(policy.MustFact("per_capita_income"), row) > f.Int(policy.MustFact("income_line"), row)
				if (income.Outcome == "pass") != above {
					t.Fatalf("household %d: income %s, facts say above=%v", h.ID, income.Outcome, above)
				}
				if income.Outcome == "fail" {
					failedIncome++
				}
				checked++
			}
		}
		if checked != 40 {
			t.Fatalf("checked %d", checked)
		}
		// The same period replayed with its versions gives the same
		// findings, even after the registry changes.
		h := hs[0]
		if err := s.SaveIncome(ctx, admin, h.ID, &registry.Income{Year: 2025, Wages: 100}); err != nil {
			t.Fatal(err)
		}
		res, err := a.Replay(ctx, admin, period)
		if err != nil {
			t.Fatal(err)
		}
		if res.Findings != 1500 || res.Identical != 1500 {
			t.Fatalf("replay: %+v", res)
		}
		// Re-assessing the changed household moves its finding.
		if err := a.Household(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		ex, err := a.Explain(ctx, admin, h.ID, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if !contains(ex.Sets, "exit-2016", "income") {
			t.Fatal("changed household not re-assessed")
		}
		// Out of scope is not found; an unassessed period is not found.
		other := auth.Principal{Username: "x", Role: auth.TownshipOfficer, Area: "530627999"}
		if _, err := a.Explain(ctx, other, h.ID, "2026-11"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
		if _, err := a.Explain(ctx, admin, h.ID, "2026-01"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("unassessed period: %v", err)
		}
		if _, err := a.Explain(ctx, admin, h.ID, "2026-1"); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("bad period: %v", err)
		}
		// A second full run replaces, never duplicates.
		run2, err := a.Period(ctx, admin, period, assess.Options{})
		if err != nil || run2.Households != 300 {
			t.Fatalf("second run: %+v %v", run2, err)
		}
		res, _ = a.Replay(ctx, admin, period)
		if res.Findings != 1500 || res.Identical != 1500 {
			t.Fatalf("replay after second run: %+v", res)
		}
		// A household that moved out of a township loses its findings
		// there when the township is assessed again.
		moved, err := s.GetHousehold(ctx, admin, hs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		town := moved.VillageCode[:9]
		dest := "530627001001"
		if strings.HasPrefix(dest, town) {
			dest = "530627002001"
		}
		moved.VillageCode = dest
		if err := s.UpdateHousehold(ctx, admin, &moved); err != nil {
			t.Fatal(err)
		}
		townAdmin := auth.Principal{Username: "t", Role: auth.CountyAdmin, Area: town}
		if _, err := a.Period(ctx, townAdmin, period, assess.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Explain(ctx, admin, moved.ID, "2026-11"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("stale findings kept: %v", err)
		}
		res, _ = a.Replay(ctx, admin, period)
		if res.Findings != 1495 || res.Identical != 1495 {
			t.Fatalf("replay after the township run: %+v", res)
		}
	})
}

func contains(sets []assess.SetOutcome, code, rule string) bool {
	for _, s := range sets {
		if s.Code == code {
			for _, f := range s.Failed {
				if f == rule {
					return true
				}
			}
		}
	}
	return false
}

func TestPreview(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, _ := county(t, s, 400)
		p, err := a.Preview(ctx, admin, "housing_grade in ['C', 'D'] && relocation == 'none'")
		if err != nil {
			t.Fatal(err)
		}
		// Count the same households from the registry.
		hs, _, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 500})
		want := 0
		for _, h := range hs {
			if (h.HousingGrade == "C" || h.HousingGrade == "D") && h.Relocation == "none" {
				want++
			}
		}
		if p.Households != 400 || p.Matches != want || want == 0 || len(p.First) != min(want, assess.PreviewLimit) {
			t.Fatalf("preview %d of %d, first %d; want %d", p.Matches, p.Households, len(p.First), want)
		}
		if g := p.First[0].Inputs["housing_grade"]; g != "C" && g != "D" {
			t.Fatalf("inputs %+v", p.First[0].Inputs)
		}
		// Scope: a township sees only its own.
		town := auth.Principal{Username: "t", Role: auth.TownshipOfficer, Area: p.First[0].Village[:9]}
		tp, err := a.Preview(ctx, town, "true")
		if err != nil {
			t.Fatal(err)
		}
		inTown := 0
		for _, h := range hs {
			if strings.HasPrefix(h.VillageCode, town.Area) {
				inTown++
			}
		}
		if tp.Matches != inTown || tp.Households != inTown {
			t.Fatalf("township preview %d/%d, want %d", tp.Matches, tp.Households, inTown)
		}
		// A household changed after the cache was built is seen at once.
		h := hs[0]
		h.HousingGrade, h.Relocation = "D", "none"
		if err := s.UpdateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		if err := a.Household(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		p2, _ := a.Preview(ctx, admin, "housing_grade in ['C', 'D'] && relocation == 'none'")
		wasMatch := (hs[0].HousingGrade == "C" || hs[0].HousingGrade == "D") && hs[0].Relocation == "none"
		if wasMatch && p2.Matches != p.Matches || !wasMatch && p2.Matches != p.Matches+1 {
			t.Fatalf("after change: %d, before %d", p2.Matches, p.Matches)
		}
		// A bulk write (an import) is seen by the next preview.
		b, err := s.BeginBulk(ctx, auth.System("t"))
		if err != nil {
			t.Fatal(err)
		}
		nh := registry.Household{Number: "X1", VillageCode: "530627001001", County: "530627", HeadName: "张三", Standard: "national",
			Attribute: "general", MainCause: "illness", OtherCauses: []string{}, Status: "poor", IdentifiedYear: 2020, HousingGrade: "D",
			Relocation: "none", WaterSource: "tap", Members: []registry.Member{{Name: "张三", Sex: "M", County: "530627",
				IDNumber: idcard.Build("530627", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 991), BirthDate: "1980-01-01",
				Relation: "head", Health: "healthy", Labour: "ordinary"}}}
		if err := b.AddHousehold(&nh); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		p3, _ := a.Preview(ctx, admin, "housing_grade in ['C', 'D'] && relocation == 'none'")
		if p3.Matches != p2.Matches+1 || p3.Households != 401 {
			t.Fatalf("after a bulk write: %d of %d, before %d", p3.Matches, p3.Households, p2.Matches)
		}
		// A bad expression names where it is wrong; nothing is judged.
		_, err = a.Preview(ctx, admin, "persons > 2 &&\n  housing_grad == 'A'")
		fe, ok := fault.As(err)
		if !ok || fe.Fields[0].Reason.Args["line"] != "2" || fe.Fields[0].Reason.Args["column"] != "3" {
			t.Fatalf("bad expression: %v", err)
		}
	})
}

func TestRuleSetVersions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		sets, err := s.RuleSets(ctx, false)
		if err != nil || len(sets) != 5 {
			t.Fatalf("seeded sets: %d %v", len(sets), err)
		}
		var exit *policy.RuleSet
		for _, rs := range sets {
			if rs.Code == "exit-2016" {
				exit = rs
			}
		}
		// Unchanged: no new version.
		same, err := s.SaveRuleSet(ctx, "li", exit)
		if err != nil || same.ID != exit.ID {
			t.Fatalf("unchanged set: %v %v", same, err)
		}
		changed := *exit
		changed.Rules = append([]policy.Rule(nil), exit.Rules...)
		changed.Rules[7].Expression = "water_litres >= 20"
		v2, err := s.SaveRuleSet(ctx, "li", &changed)
		if err != nil || v2.Version != 2 || v2.ID == exit.ID {
			t.Fatalf("changed set: %+v %v", v2, err)
		}
		old, _ := s.RuleSet(ctx, exit.ID)
		if old.Rules[7].Expression != "water_litres >= water_litres_min" {
			t.Fatal("version 1 was edited")
		}
		inForce, _ := s.RuleSetsInForce(ctx, period)
		for _, rs := range inForce {
			if rs.Code == "exit-2016" && rs.Version != 2 {
				t.Fatalf("in force: version %d", rs.Version)
			}
		}
		bad := changed
		bad.Rules = append([]policy.Rule(nil), exit.Rules...)
		bad.Rules[0].Expression = "per_capita_income > 'x'"
		_, err = s.SaveRuleSet(ctx, "li", &bad)
		if fe, ok := fault.As(err); !ok || fe.Fields[0].Field != "rules[0].expression" {
			t.Fatalf("type error: %v", err)
		}
		// Parameters: a bad row is refused with its field.
		err = s.SaveParam(ctx, "li", policy.Param{Jurisdiction: "539999", Kind: "exit_income_line", Year: 2026, Value: 1, Certainty: "C"})
		if fe, ok := fault.As(err); !ok || fe.Fields[0].Field != "jurisdiction" {
			t.Fatalf("bad jurisdiction: %v", err)
		}
		if err := s.SaveParam(ctx, "li", policy.Param{Jurisdiction: "53", Kind: "monitoring_line", Year: 2026, Value: 800000, Certainty: "U", Source: "test"}); err != nil {
			t.Fatal(err)
		}
		ps, _ := s.Params(ctx)
		if v, _ := ps.Lookup("monitoring_line", "530627001001", 2026); v.Value != 800000 {
			t.Fatalf("saved parameter not used: %d", v.Value)
		}
	})
}

func TestExitReportAndMPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, _ := county(t, s, 300)
		rep, err := a.ExitReport(ctx, admin, "530627", "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Period != "2026-11" || rep.RuleSet != "exit-2016" || len(rep.Rows) != 30 {
			t.Fatalf("report: %s %s %d rows", rep.Period, rep.RuleSet, len(rep.Rows))
		}
		// No samples or surveys yet: those indicators have no data, and
		// so readiness is unknown unless incidence already fails.
		if rep.Area.WrongfulExit != nil || rep.Area.Missed != nil || rep.Area.Approval != nil {
			t.Fatalf("rates without data: %+v", rep.Area)
		}
		if rep.Area.Incidence == nil || rep.Area.Incidence.Numerator != rep.Area.PoorPersons {
			t.Fatalf("incidence: %+v", rep.Area.Incidence)
		}
		var sumPoor, sumHH int64
		for _, r := range rep.Rows {
			sumPoor += r.PoorPersons
			sumHH += r.Households
		}
		if sumPoor != rep.Area.PoorPersons || sumHH != rep.Area.Households {
			t.Fatalf("townships do not add up: %d/%d %d/%d", sumPoor, rep.Area.PoorPersons, sumHH, rep.Area.Households)
		}
		// Samples: 100 exited persons checked, 2 wrongly exited: exactly
		// at the 2% limit, which passes; one more fails.
		v := rep.Rows[0].Code + "001"
		for _, vr := range []store.Verification{
			{Village: v, Period: "2026-10", Kind: "exited", Persons: 49, Verifier: "x"},
			{Village: v, Period: "2026-10", Kind: "exited", Persons: 49, Verifier: "x"},
			{Village: v, Period: "2026-11", Kind: "exited", Persons: 2, Wrong: true, Verifier: "x"},
			{Village: v, Period: "2025-11", Kind: "exited", Persons: 40, Wrong: true, Verifier: "x"}, // last year: not counted
		} {
			vr := vr
			if err := s.AddVerification(ctx, &vr); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 10; i++ {
			sv := store.Survey{Village: v, Period: "2026-11", HouseholdID: int64(i), Policies: true, Measures: true, ExitResult: true, Cadre: i != 0, Channel: "verifier", RecordedBy: "x"}
			if err := s.AddSurvey(ctx, &sv); err != nil {
				t.Fatal(err)
			}
		}
		rep, _ = a.ExitReport(ctx, admin, "530627", "2026-11")
		w := rep.Area.WrongfulExit
		if w == nil || w.Numerator != 2 || w.Denominator != 100 || !w.OK {
			t.Fatalf("wrongful exit at the limit: %+v", w)
		}
		if ap := rep.Area.Approval; ap == nil || ap.Numerator != 9 || ap.Denominator != 10 || !ap.OK {
			t.Fatalf("approval at 90%%: %+v", ap)
		}
		bad := store.Verification{Village: v, Period: "2026-11", Kind: "exited", Persons: 1, Wrong: true, Verifier: "x"}
		s.AddVerification(ctx, &bad)
		rep, _ = a.ExitReport(ctx, admin, "530627", "2026-11")
		if w := rep.Area.WrongfulExit; w.OK || rep.Area.Ready == nil || *rep.Area.Ready {
			t.Fatalf("3 of 101 passes: %+v ready %v", w, rep.Area.Ready)
		}
		if err := s.AddVerification(ctx, &store.Verification{Village: "530627", Period: "2026-11", Kind: "maybe", Persons: 0}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("bad sample: %v", err)
		}
		// Missed rate: verified missed persons over the unregistered rural
		// population of the sampled villages (rural population less the
		// registered persons).
		for _, vr := range []store.Verification{
			{Village: v, Period: "2026-11", Kind: "unregistered", Persons: 4, Wrong: true, Verifier: "x"},
			{Village: v, Period: "2026-11", Kind: "unregistered", Persons: 6, Verifier: "x"},
		} {
			vr := vr
			if err := s.AddVerification(ctx, &vr); err != nil {
				t.Fatal(err)
			}
		}
		rep, _ = a.ExitReport(ctx, admin, "530627", "2026-11")
		vr, _ := a.ExitReport(ctx, admin, v, "2026-11")
		if vr.Area.RuralPopulation == nil || rep.Area.Missed == nil || rep.Area.Missed.Numerator != 4 ||
			rep.Area.Missed.Denominator != *vr.Area.RuralPopulation-vr.Area.Persons {
			t.Fatalf("missed: %+v, village %+v", rep.Area.Missed, vr.Area)
		}
		// A village report lists its households with eligibility.
		vrep, err := a.ExitReport(ctx, admin, rep.Rows[0].Code+"001", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		var poor int64
		for _, h := range vrep.Households {
			if h.Eligible && len(h.Failed) != 0 {
				t.Fatalf("eligible with failures: %+v", h)
			}
			if h.Status == "poor" || h.Status == "pre_exit" || h.Status == "returned" {
				poor += int64(h.Persons)
			}
		}
		if poor != vrep.Area.PoorPersons {
			t.Fatalf("village households %d poor persons, total says %d", poor, vrep.Area.PoorPersons)
		}

		// MPI: recompute from the explanations and compare.
		m, err := a.MPI(ctx, admin, "530627", "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		var persons, poorPersons, score int64
		hs, _, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 500})
		for _, h := range hs {
			ex, err := a.Explain(ctx, admin, h.ID, "2026-11")
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range ex.Sets {
				if set.Code != "mpi-global" {
					continue
				}
				var units int64
				for _, r := range set.Rules {
					if r.Outcome == "fail" {
						units += int64(r.Weight)
					}
				}
				persons += int64(ex.Persons)
				if units*3 >= 18 {
					poorPersons += int64(ex.Persons)
					score += units * int64(ex.Persons)
				}
			}
		}
		if m.Persons != persons || m.PoorPersons != poorPersons || m.M0 != float64(score)/float64(persons*18) {
			t.Fatalf("MPI n %d/%d q %d/%d M0 %v", m.Persons, persons, m.PoorPersons, poorPersons, m.M0)
		}
		if len(m.SubAreas) != 30 {
			t.Fatalf("sub-areas: %d", len(m.SubAreas))
		}
		if _, err := a.MPI(ctx, admin, "530627", "", "", "2"); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("k = 2: %v", err)
		}
		if _, err := a.MPI(ctx, auth.Principal{Role: auth.Viewer, Area: "530627001"}, "530627002", "", "", ""); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
	})
}

// TestVisitOpensAndResolvesShortfall: a visit that finds the house
// dangerous opens a housing shortfall at once; a visit that finds it
// repaired resolves it.
func TestVisitOpensAndResolvesShortfall(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, _ := county(t, s, 50)
		if _, err := a.SyncShortfalls(ctx, admin, period); err != nil {
			t.Fatal(err)
		}
		hs, _, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 50, Status: "exited"})
		var h registry.Household
		for _, x := range hs {
			if x.HousingGrade == "A" || x.HousingGrade == "B" {
				h = x
				break
			}
		}
		grade := func(g string) {
			t.Helper()
			// The visit and its re-assessment commit together.
			v := registry.Visit{HouseholdID: h.ID, Date: "2026-11-28", Kind: "in_person", Facts: registry.VisitFacts{HousingGrade: &g}}
			if err := a.RecordVisit(ctx, admin, &v); err != nil {
				t.Fatal(err)
			}
			ex, err := a.Explain(ctx, admin, h.ID, "2026-11")
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range ex.Sets {
				for _, r := range set.Rules {
					for _, in := range r.Inputs {
						if in.Name == "housing_grade" && in.Value != g {
							t.Fatalf("finding after the visit read housing_grade %v, want %s", in.Value, g)
						}
					}
				}
			}
		}
		housing := func() *registry.Shortfall {
			items, err := s.Shortfalls(ctx, admin, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i := range items {
				if items[i].RuleCode == "housing" {
					return &items[i]
				}
			}
			return nil
		}
		if housing() != nil {
			t.Fatal("a safe house has a housing shortfall")
		}
		grade("D")
		if x := housing(); x == nil || x.Status != "open" || x.OpenedPeriod != "2026-11" {
			t.Fatalf("after the visit: %+v", x)
		}
		grade("B")
		if x := housing(); x == nil || x.Status != "resolved" || x.Resolution != "auto" {
			t.Fatalf("after the repair: %+v", x)
		}
	})
}

func TestReverification(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, _ := county(t, s, 60)
		hs, _, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 100, Status: "exited"})
		var h registry.Household
		for _, x := range hs {
			if x.HousingGrade == "A" || x.HousingGrade == "B" {
				h = x
				break
			}
		}
		wang := registry.Cadre{Name: "王伟", Unit: "镇雄县农业农村局", UnitLevel: "county", Area: h.VillageCode, Username: "wang"}
		if err := s.SaveCadre(ctx, admin, &wang); err != nil {
			t.Fatal(err)
		}
		if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: wang.ID, Start: "2026-11-01"}); err != nil {
			t.Fatal(err)
		}
		cadre := auth.Principal{Username: "wang", Role: auth.PairedCadre, Area: h.VillageCode}
		if err := s.RecordVisit(ctx, cadre, &registry.Visit{HouseholdID: h.ID, Date: "2026-11-05", Kind: "in_person", NoProblem: true,
			Facts: registry.VisitFacts{HousingGrade: &h.HousingGrade}}); err != nil {
			t.Fatal(err)
		}
		zhou := auth.Principal{Username: "zhou", Role: auth.Verifier, Area: "530627"}
		sample, err := s.DrawSample(ctx, zhou, "2026-11", h.VillageCode, 1000, 7)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, x := range sample {
			if x.HouseholdID == h.ID {
				id = x.ID
			}
		}
		if id == 0 {
			t.Fatalf("household not drawn: %+v", sample)
		}
		// Drawing again finds nobody new in the village: no household is
		// checked twice in a month.
		if again, _ := s.DrawSample(ctx, zhou, "2026-11", h.VillageCode, 1000, 7); len(again) != 0 {
			t.Fatalf("drawn twice: %d", len(again))
		}
		// The paired cadre may not check their own household.
		if _, err := a.Check(ctx, auth.Principal{Username: "wang", Role: auth.Verifier, Area: h.VillageCode}, id, registry.VisitFacts{}, ""); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("own household: %v", err)
		}
		d := "D"
		out, err := a.Check(ctx, zhou, id, registry.VisitFacts{HousingGrade: &d}, "墙体开裂")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Diffs) != 1 || out.Diffs[0].Field != "housing_grade" || out.Diffs[0].CadreValue != h.HousingGrade || out.Diffs[0].VerifierValue != "D" {
			t.Fatalf("diffs: %+v", out.Diffs)
		}
		if out.Kind != "exited" || !out.Wrong || !out.Contradicted || len(out.Failed) == 0 || out.Failed[0] != "housing" {
			t.Fatalf("outcome: %+v", out)
		}
		if _, err := a.Check(ctx, zhou, id, registry.VisitFacts{}, ""); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("checked twice: %v", err)
		}
		flags, _ := s.CadreFlags(ctx, admin, "2026-11", "530627")
		if flags[wang.ID] != 1 {
			t.Fatalf("cadre flags: %v", flags)
		}
		// The check feeds the exit roll-up's wrongful-exit rate.
		rep, _ := a.ExitReport(ctx, admin, "530627", "2026-11")
		if w := rep.Area.WrongfulExit; w == nil || w.Numerator == 0 || w.Numerator != w.Denominator {
			t.Fatalf("wrongful exits: %+v", w)
		}
		// A sample is reproducible: the same seed in another store with the
		// same county draws the same households.
		s2 := storetest.OpenSQLite(t)
		county(t, s2, 60)
		x1, _ := s.DrawSample(ctx, zhou, "2026-10", "530627", 2, 42)
		x2, _ := s2.DrawSample(ctx, zhou, "2026-10", "530627", 2, 42)
		if len(x1) == 0 || len(x1) != len(x2) {
			t.Fatalf("samples: %d and %d", len(x1), len(x2))
		}
		for i := range x1 {
			if x1[i].HouseholdID != x2[i].HouseholdID {
				t.Fatalf("sample %d differs: %d vs %d", i, x1[i].HouseholdID, x2[i].HouseholdID)
			}
		}
	})
}
