package store_test

import (
	"sync"
	"testing"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestVisitAppliesFactsWithHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("V1", villageA, 1)
		h.HousingGrade = "C"
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetHousehold(ctx, admin, h.ID)
		spouse := got.Members[1]
		v := registry.Visit{HouseholdID: h.ID, Date: "2026-11-20", Kind: "in_person", Notes: "危房改造已完成",
			Facts: registry.VisitFacts{HousingGrade: ptr("A"), WaterLitres: ptr(80),
				Members: []registry.MemberFacts{{ID: spouse.ID, CriticalInsurance: ptr(true), Health: ptr("serious")}},
				Income:  &registry.Income{Year: 2026, Wages: 3600000}, Risks: []string{"illness"}}}
		if err := s.RecordVisit(ctx, admin, &v); err != nil {
			t.Fatal(err)
		}
		if v.ID == 0 || v.Period != "2026-11" || v.County != "530627" {
			t.Fatalf("visit: %+v", v)
		}
		after, _ := s.GetHousehold(ctx, admin, h.ID)
		if after.HousingGrade != "A" || after.WaterLitres != 80 || after.Version != got.Version+1 {
			t.Fatalf("household after visit: grade %s litres %d version %d", after.HousingGrade, after.WaterLitres, after.Version)
		}
		if m := after.Members[1]; !m.CriticalInsurance || m.Health != "serious" || m.Version != spouse.Version+1 {
			t.Fatalf("member after visit: %+v", m)
		}
		var inc registry.Income
		for _, in := range after.Incomes {
			if in.Year == 2026 {
				inc = in
			}
		}
		if inc.Net != 3600000 || inc.PerCapita != 1800000 {
			t.Fatalf("income after visit: %+v", inc)
		}
		hist, _ := s.History(ctx, admin, h.ID)
		kinds := map[string]bool{}
		for _, c := range hist {
			kinds[c.Entity+"/"+c.Action] = true
		}
		for _, k := range []string{"visit/create", "household/visit", "member/visit", "income/visit"} {
			if !kinds[k] {
				t.Errorf("history lacks %s: %v", k, kinds)
			}
		}
		vs, err := s.Visits(ctx, admin, h.ID)
		if err != nil || len(vs) != 1 || *vs[0].Facts.HousingGrade != "A" || vs[0].Facts.Risks[0] != "illness" {
			t.Fatalf("visits: %+v %v", vs, err)
		}
		if _, bad, _ := s.VerifyAudit(ctx); bad != nil {
			t.Fatalf("audit: %+v", bad)
		}

		// A bad visit writes nothing.
		for _, bad := range []registry.Visit{
			{HouseholdID: h.ID, Date: "2026-12-01", Kind: "in_person"},
			{HouseholdID: h.ID, Date: "2026-11-01", Kind: "by_pigeon"},
			{HouseholdID: h.ID, Date: "2026-11-01", Kind: "phone", Facts: registry.VisitFacts{HousingGrade: ptr("Z")}},
			{HouseholdID: h.ID, Date: "2026-11-01", Kind: "phone", Facts: registry.VisitFacts{Members: []registry.MemberFacts{{ID: 999999, Deceased: ptr(true)}}}},
			{HouseholdID: h.ID, Date: "2026-11-01", Kind: "phone", Facts: registry.VisitFacts{Risks: []string{"boredom"}}},
		} {
			bad := bad
			if err := s.RecordVisit(ctx, admin, &bad); fault.KindOf(err) != fault.Invalid {
				t.Fatalf("bad visit %+v: %v", bad, err)
			}
		}
		if vs, _ := s.Visits(ctx, admin, h.ID); len(vs) != 1 {
			t.Fatalf("bad visits were stored: %d", len(vs))
		}
		if again, _ := s.GetHousehold(ctx, admin, h.ID); again.Version != after.Version {
			t.Fatal("a bad visit changed the household")
		}
		// Out of scope and a role that may not visit.
		other := auth.Principal{Username: "x", Role: auth.VillageCadre, Area: villageB}
		if err := s.RecordVisit(ctx, other, &registry.Visit{HouseholdID: h.ID, Date: "2026-11-02", Kind: "phone"}); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
		viewer := auth.Principal{Username: "y", Role: auth.Viewer, Area: "530627"}
		if err := s.RecordVisit(ctx, viewer, &registry.Visit{HouseholdID: h.ID, Date: "2026-11-02", Kind: "phone"}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("viewer: %v", err)
		}
	})
}

// TestConcurrentVisitsLoseNothing sends visits that each change a
// different fact of one household at the same time; all changes stay.
func TestConcurrentVisitsLoseNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("V2", villageA, 2)
		h.ImprovedSanitation = true
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		facts := []registry.VisitFacts{
			{FoodSecure: ptr(false)}, {ClothingSecure: ptr(false)}, {HousingGrade: ptr("D")}, {WaterLitres: ptr(21)},
			{WaterMinutes: ptr(33)}, {WaterOutageDays: ptr(40)}, {Electricity: ptr(false)}, {ImprovedSanitation: ptr(false)},
		}
		var wg sync.WaitGroup
		errs := make([]error, len(facts))
		for i := range facts {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				v := registry.Visit{HouseholdID: h.ID, Date: "2026-11-10", Kind: "phone", Facts: facts[i]}
				errs[i] = s.RecordVisit(ctx, admin, &v)
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("visit %d: %v", i, err)
			}
		}
		got, _ := s.GetHousehold(ctx, admin, h.ID)
		if got.FoodSecure || got.ClothingSecure || got.HousingGrade != "D" || got.WaterLitres != 21 || got.WaterMinutes != 33 ||
			got.WaterOutageDays != 40 || got.Electricity || got.ImprovedSanitation || got.Version != 1+len(facts) {
			t.Fatalf("a concurrent visit was lost: %+v", got)
		}
		if _, bad, _ := s.VerifyAudit(ctx); bad != nil {
			t.Fatalf("audit after concurrent visits: %+v", bad)
		}
	})
}

func TestVisitCoverage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		var hs []registry.Household
		for i := 0; i < 4; i++ {
			h := fixture("C"+string(rune('1'+i)), villageA, 10+i)
			if err := s.CreateHousehold(ctx, admin, &h); err != nil {
				t.Fatal(err)
			}
			hs = append(hs, h)
		}
		wang := registry.Cadre{Name: "王伟", Unit: "镇雄县农业农村局", UnitLevel: "county", Area: villageA[:9], Username: "wang"}
		if err := s.SaveCadre(ctx, admin, &wang); err != nil {
			t.Fatal(err)
		}
		for _, h := range hs[:3] {
			if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: wang.ID, Start: "2026-01-01"}); err != nil {
				t.Fatal(err)
			}
		}
		cadre := auth.Principal{Username: "wang", Role: auth.PairedCadre, Area: villageA}
		// hs[0]: visited by its cadre; hs[1]: only by the township; hs[2]:
		// by its cadre but last month; hs[3]: no paired cadre at all.
		for _, v := range []struct {
			who  auth.Principal
			h    int
			date string
		}{{cadre, 0, "2026-11-03"}, {admin, 1, "2026-11-04"}, {cadre, 2, "2026-10-30"}, {cadre, 0, "2026-11-20"}} {
			if err := s.RecordVisit(ctx, v.who, &registry.Visit{HouseholdID: hs[v.h].ID, Date: v.date, Kind: "in_person"}); err != nil {
				t.Fatal(err)
			}
		}
		cov, err := s.VisitCoverage(ctx, admin, villageA[:9], "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		tot := cov.Total
		if tot.Households != 4 || tot.ByPairedCadre != 1 || tot.OnlyByOthers != 1 || tot.NoPairedCadre != 1 || tot.Rate != 0.25 {
			t.Fatalf("total: %+v", tot)
		}
		if len(cov.Areas) != 1 || cov.Areas[0].Area != villageA || len(cov.Cadres) != 1 || cov.Cadres[0].Households != 3 || cov.Cadres[0].ByPairedCadre != 1 {
			t.Fatalf("areas %+v cadres %+v", cov.Areas, cov.Cadres)
		}
		if len(cov.Missed) != 3 || cov.Missed[0].HouseholdID != hs[1].ID || cov.Missed[0].CadreName != "王伟" {
			t.Fatalf("missed: %+v", cov.Missed)
		}
		if oct, _ := s.VisitCoverage(ctx, admin, villageA[:9], "2026-10"); oct.Total.ByPairedCadre != 1 {
			t.Fatalf("october: %+v", oct.Total)
		}
		if _, err := s.VisitCoverage(ctx, cadre, villageB, "2026-11"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
	})
}
