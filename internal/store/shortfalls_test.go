package store_test

import (
	"testing"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

func exitSet(t *testing.T, s *store.Store) *policy.RuleSet {
	t.Helper()
	sets, err := s.RuleSets(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range sets {
		if rs.Code == "exit-2016" {
			return rs
		}
	}
	t.Fatal("no exit set")
	return nil
}

// bit is the failure bit of an exit rule.
func bit(rs *policy.RuleSet, code string) uint64 {
	for i, r := range rs.Rules {
		if r.Code == code {
			return 1 << i
		}
	}
	panic(code)
}

func TestShortfallLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		rs := exitSet(t, s)
		h := fixture("S1", villageA, 1)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		f := store.Finding{HouseholdID: h.ID, County: h.County, Village: h.VillageCode, Status: "exited", Period: "2026-11",
			Fail: bit(rs, "housing") | bit(rs, "water_quality") | bit(rs, "not_new")}
		if err := s.SyncShortfalls(ctx, rs, f); err != nil {
			t.Fatal(err)
		}
		items, _ := s.Shortfalls(ctx, admin, h.ID)
		if len(items) != 2 { // not_new is procedure, not a shortfall
			t.Fatalf("opened %d items: %+v", len(items), items)
		}
		// The same failure again keeps the same items open.
		if err := s.SyncShortfalls(ctx, rs, f); err != nil {
			t.Fatal(err)
		}
		items, _ = s.Shortfalls(ctx, admin, h.ID)
		var housing, water registry.Shortfall
		for _, x := range items {
			switch x.RuleCode {
			case "housing":
				housing = x
			case "water_quality":
				water = x
			}
		}
		if len(items) != 2 || housing.Status != "open" || housing.Indicator != "housing" {
			t.Fatalf("after a second sync: %+v", items)
		}
		// Plan a measure: default deadline by category.
		li := auth.Principal{Username: "li", Role: auth.VillageCadre, Area: villageA}
		x, err := s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "plan", Version: housing.Version, Category: "housing", Cost: 2000000, Unit: "镇住建所"})
		if err != nil || x.Status != "in_progress" || x.Deadline != "2027-03-29" {
			t.Fatalf("plan: %+v %v", x, err)
		}
		if _, err := s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "plan", Version: housing.Version, Category: "housing", Unit: "x"}); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("stale version: %v", err)
		}
		// A county sets its own deadline for a category.
		if err := s.SaveParam(ctx, "admin", policy.Param{Jurisdiction: "530627", Kind: "deadline_education", Year: 2026, Value: 10, Certainty: "C"}); err != nil {
			t.Fatal(err)
		}
		wx, err := s.ActOnShortfall(ctx, li, water.ID, store.ShortfallAction{Action: "plan", Version: water.Version, Category: "education", Unit: "镇中心学校"})
		if err != nil || wx.Deadline != "2026-12-09" {
			t.Fatalf("county deadline: %+v %v", wx, err)
		}
		water = wx
		if _, err := s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "verify", Version: x.Version}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("verify before resolve: %v", err)
		}
		if _, err := s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "resolve", Version: x.Version}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("resolve without evidence: %v", err)
		}
		x, err = s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "resolve", Version: x.Version, Evidence: "危改验收单 2026-11-25"})
		if err != nil || x.Status != "resolved" || x.ResolvedBy != "li" {
			t.Fatalf("resolve: %+v %v", x, err)
		}
		// The resolver cannot verify; someone else can.
		if _, err := s.ActOnShortfall(ctx, li, housing.ID, store.ShortfallAction{Action: "verify", Version: x.Version}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("own verification: %v", err)
		}
		zhou := auth.Principal{Username: "zhou", Role: auth.Verifier, Area: villageA[:9]}
		x, err = s.ActOnShortfall(ctx, zhou, housing.ID, store.ShortfallAction{Action: "verify", Version: x.Version})
		if err != nil || x.Status != "verified" || x.VerifiedBy != "zhou" {
			t.Fatalf("verify: %+v %v", x, err)
		}
		// The water rule passes at the next assessment: resolved by it.
		f.Fail = bit(rs, "housing")
		if err := s.SyncShortfalls(ctx, rs, f); err != nil {
			t.Fatal(err)
		}
		items, _ = s.Shortfalls(ctx, admin, h.ID)
		counts := map[string]int{}
		for _, it := range items {
			counts[it.RuleCode+"/"+it.Status]++
			if it.ID == water.ID && (it.Resolution != "auto" || it.Status != "resolved") {
				t.Fatalf("water item: %+v", it)
			}
		}
		// The verified housing item is closed; the house failing again
		// opens a new one.
		if counts["housing/verified"] != 1 || counts["housing/open"] != 1 || counts["water_quality/resolved"] != 1 {
			t.Fatalf("items: %v", counts)
		}
		// A resolved item whose rule fails again is reopened.
		f.Fail = bit(rs, "housing") | bit(rs, "water_quality")
		if err := s.SyncShortfalls(ctx, rs, f); err != nil {
			t.Fatal(err)
		}
		items, _ = s.Shortfalls(ctx, admin, h.ID)
		for _, it := range items {
			if it.ID == water.ID && (it.Status != "in_progress" || it.Reopened != 1) { // its measure stays planned
				t.Fatalf("water item not reopened: %+v", it)
			}
		}
		// Out of scope is not found.
		far := auth.Principal{Username: "far", Role: auth.Verifier, Area: villageB}
		if _, err := s.ActOnShortfall(ctx, far, water.ID, store.ShortfallAction{Action: "plan", Version: 1}); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
		if _, bad, _ := s.VerifyAudit(ctx); bad != nil {
			t.Fatalf("audit: %+v", bad)
		}
	})
}

func TestBoardKeptCurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		rs := exitSet(t, s)
		var items []registry.Shortfall
		for i, v := range []string{villageA, villageA, villageB} {
			h := fixture("B"+string(rune('0'+i)), v, 20+i)
			if err := s.CreateHousehold(ctx, admin, &h); err != nil {
				t.Fatal(err)
			}
			f := store.Finding{HouseholdID: h.ID, County: h.County, Village: h.VillageCode, Status: "poor", Period: "2026-11",
				Fail: bit(rs, "housing") | bit(rs, "education")}
			if err := s.SyncShortfalls(ctx, rs, f); err != nil {
				t.Fatal(err)
			}
			xs, _ := s.Shortfalls(ctx, admin, h.ID)
			items = append(items, xs...)
		}
		// One item planned with a deadline already past, one resolved.
		var housingA registry.Shortfall
		for _, x := range items {
			if x.RuleCode == "housing" && x.VillageCode == villageA {
				housingA = x
				break
			}
		}
		x, err := s.ActOnShortfall(ctx, admin, housingA.ID, store.ShortfallAction{Action: "plan", Version: housingA.Version, Category: "housing", Unit: "镇住建所", Deadline: "2026-11-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActOnShortfall(ctx, admin, items[1].ID, store.ShortfallAction{Action: "resolve", Version: items[1].Version, Evidence: "入学证明"}); err != nil {
			t.Fatal(err)
		}
		_ = x
		b, err := s.Board(ctx, admin, "530627", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		tot := map[string]store.BoardCell{}
		for _, c := range b.Totals {
			tot[c.Indicator] = c
		}
		if h := tot["housing"]; h.Open != 2 || h.InProgress != 1 || h.Overdue != 1 {
			t.Fatalf("housing totals: %+v", h)
		}
		if e := tot["education"]; e.Open+e.Resolved != 3 || e.Resolved != 1 {
			t.Fatalf("education totals: %+v", e)
		}
		if b.Unresolve != 5 || b.Overdue != 1 || len(b.Trend) != 12 || b.Trend[11].Opened != 6 || b.Trend[11].Resolved != 1 {
			t.Fatalf("board: unresolved %d overdue %d trend %+v", b.Unresolve, b.Overdue, b.Trend[11])
		}
		if len(b.Areas) != 4 { // two townships × two indicators
			t.Fatalf("areas: %+v", b.Areas)
		}
		// A township officer sees only the township.
		town := auth.Principal{Username: "t", Role: auth.TownshipOfficer, Area: villageB[:9]}
		tb, _ := s.Board(ctx, town, "", "2026-11")
		if tb.Area != villageB[:9] || tb.Unresolve != 2 {
			t.Fatalf("township board: %+v", tb)
		}
		// The kept counts agree with a recount; a tampered count is found.
		if diffs, err := s.CheckBoard(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("check: %+v %v", diffs, err)
		}
		if _, err := s.TestExec(`UPDATE board_counts SET n = n + 1 WHERE village_code = $1 AND indicator = 'housing' AND status = 'open'`, villageB); err != nil {
			t.Fatal(err)
		}
		diffs, _ := s.CheckBoard(ctx)
		if len(diffs) != 1 || diffs[0].Village != villageB || diffs[0].Kept != diffs[0].Counted+1 {
			t.Fatalf("tampered count: %+v", diffs)
		}
		// So is a tampered trend or deadline tally.
		if _, err := s.TestExec(`UPDATE board_trend SET n = n - 1 WHERE village_code = $1 AND kind = 'opened'`, villageB); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TestExec(`DELETE FROM board_deadlines`); err != nil {
			t.Fatal(err)
		}
		diffs, _ = s.CheckBoard(ctx)
		tables := map[string]int{}
		for _, d := range diffs {
			tables[d.Table]++
		}
		if tables["board_counts"] != 1 || tables["board_trend"] != 1 || tables["board_deadlines"] != 1 {
			t.Fatalf("tampered tallies: %+v", diffs)
		}
	})
}
