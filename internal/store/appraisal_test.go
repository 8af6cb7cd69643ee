package store_test

import (
	"testing"

	"tuopin/internal/appraisal"
	"tuopin/internal/auth"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

func TestCadreCounts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, b := fixture("S1", villageA, 1), fixture("S2", villageA, 2)
		for _, h := range []*registry.Household{&a, &b} {
			if err := s.CreateHousehold(ctx, admin, h); err != nil {
				t.Fatal(err)
			}
		}
		c := registry.Cadre{Name: "张强", Unit: "镇雄县教育体育局", UnitLevel: "county", Area: villageA[:9], Username: "zq"}
		old := registry.Cadre{Name: "刘芳", Unit: "镇雄县卫生健康局", UnitLevel: "county", Area: villageA[:9], Username: "lf"}
		for _, x := range []*registry.Cadre{&c, &old} {
			if err := s.SaveCadre(ctx, admin, x); err != nil {
				t.Fatal(err)
			}
		}
		// b was paired with the old cadre until the 10th of the month: at
		// the month's end both households are the new cadre's.
		for _, pr := range []registry.Pairing{{HouseholdID: a.ID, CadreID: c.ID, Start: "2024-01-01"}, {HouseholdID: b.ID, CadreID: old.ID, Start: "2024-01-01"},
			{HouseholdID: b.ID, CadreID: c.ID, Start: "2026-11-10", Reason: "调整"}} {
			if err := s.Pair(ctx, admin, &pr); err != nil {
				t.Fatal(err)
			}
		}
		zq := auth.Principal{Username: "zq", Role: auth.PairedCadre, Area: villageA}
		for _, v := range []registry.Visit{{HouseholdID: a.ID, Date: "2026-11-05", Kind: "in_person"}, {HouseholdID: a.ID, Date: "2026-11-25", Kind: "phone"}} {
			if err := s.RecordVisit(ctx, zq, &v); err != nil {
				t.Fatal(err)
			}
		}
		cards, err := s.CadreCounts(ctx, admin, "", "2026-11", 20)
		if err != nil {
			t.Fatal(err)
		}
		var got appraisal.Card
		for _, x := range cards {
			if x.CadreID == c.ID {
				got = x
			}
			if x.CadreID == old.ID {
				t.Fatalf("a cadre with no household at the month's end has a card: %+v", x)
			}
		}
		want := appraisal.Counts{Households: 2, Visited: 1, Visits: 2, TimelyVisits: 1}
		if got.Counts != want || got.Name != "张强" {
			t.Fatalf("counts %+v, want %+v", got.Counts, want)
		}
		recs, err := s.ScoreRecords(ctx, admin, c.ID, "2026-11", appraisal.Coverage, 20)
		if err != nil || len(recs) != 2 || recs[0].Counts == recs[1].Counts {
			t.Fatalf("coverage records: %+v %v", recs, err)
		}
		recs, err = s.ScoreRecords(ctx, admin, c.ID, "2026-11", appraisal.Timeliness, 20)
		if err != nil || len(recs) != 2 || !recs[0].Counts || recs[1].Counts {
			t.Fatalf("timeliness records: %+v %v", recs, err)
		}
		// October: before the change, b was the old cadre's.
		cards, _ = s.CadreCounts(ctx, admin, "", "2026-10", 20)
		for _, x := range cards {
			if (x.CadreID == c.ID || x.CadreID == old.ID) && x.Counts.Households != 1 {
				t.Fatalf("October pairings: %+v", x)
			}
		}
	})
}
