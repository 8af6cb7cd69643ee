package store_test

import (
	"testing"

	"tuopin/internal/appraisal"
	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
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

func TestAccountabilityAndTolerance(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, b := fixture("A1", villageA, 1), fixture("A2", villageA, 2)
		for _, h := range []*registry.Household{&a, &b} {
			if err := s.CreateHousehold(ctx, admin, h); err != nil {
				t.Fatal(err)
			}
		}
		c := registry.Cadre{Name: "张强", Unit: "镇雄县教育体育局", UnitLevel: "county", Area: villageA[:9], Username: "zq"}
		if err := s.SaveCadre(ctx, admin, &c); err != nil {
			t.Fatal(err)
		}
		for _, h := range []registry.Household{a, b} {
			if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: c.ID, Start: "2024-01-01"}); err != nil {
				t.Fatal(err)
			}
		}
		// October: only a visited; November: only a again. b was missed
		// two months running.
		zq := auth.Principal{Username: "zq", Role: auth.PairedCadre, Area: villageA}
		for _, d := range []string{"2026-10-12", "2026-11-12"} {
			v := registry.Visit{HouseholdID: a.ID, Date: d, Kind: "in_person"}
			if err := s.RecordVisit(ctx, zq, &v); err != nil {
				t.Fatal(err)
			}
		}
		inspector := auth.Principal{Username: "jw", Role: auth.Inspector, Area: "530627"}
		if _, err := s.ScanAccountability(ctx, zq, "2026-11"); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("a cadre scanned: %v", err)
		}
		opened, err := s.ScanAccountability(ctx, inspector, "2026-11")
		if err != nil || len(opened) != 1 || opened[0].Rule != "missed_visits" || opened[0].CadreID != c.ID {
			t.Fatalf("scan: %+v %v", opened, err)
		}
		if again, _ := s.ScanAccountability(ctx, inspector, "2026-11"); len(again) != 0 {
			t.Fatalf("a second scan opened %+v", again)
		}
		x := opened[0]
		act := func(p auth.Principal, a store.AccountabilityAction) error {
			a.Version = x.Version
			got, err := s.ActOnAccountability(ctx, p, x.ID, a)
			if err == nil {
				x = got
			}
			return err
		}
		if err := act(inspector, store.AccountabilityAction{Action: "decide", Decision: "reminder", Evidence: "x"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("decided before investigating: %v", err)
		}
		if err := act(inspector, store.AccountabilityAction{Action: "investigate", Findings: "该户外出务工，电话未接通"}); err != nil {
			t.Fatal(err)
		}
		// A tolerance request: filed by the cadre, decided only by the
		// inspector, its correction tracked.
		tol := func(p auth.Principal, a store.ToleranceAction) error {
			_, err := s.ActOnTolerance(ctx, p, x.ID, a)
			return err
		}
		if err := tol(zq, store.ToleranceAction{Action: "file", Facts: "农户外出务工无法入户", Distinction: "luck", DecidingBody: "县纪委"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("unknown distinction: %v", err)
		}
		if err := tol(zq, store.ToleranceAction{Action: "file", Facts: "农户外出务工无法入户，已电话联系", Distinction: "inexperience", DecidingBody: "县纪委监委"}); err != nil {
			t.Fatal(err)
		}
		full, _ := s.AccountabilityCase(ctx, inspector, x.ID)
		req := full.Tolerance[0]
		if err := tol(admin, store.ToleranceAction{Action: "decide", RequestID: req.ID, Version: req.Version, Outcome: "exempt", CorrectionPlan: "改为视频走访"}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("the county office decided tolerance: %v", err)
		}
		if err := tol(inspector, store.ToleranceAction{Action: "decide", RequestID: req.ID, Version: req.Version, Outcome: "exempt"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("exempt without a correction plan: %v", err)
		}
		if err := tol(inspector, store.ToleranceAction{Action: "decide", RequestID: req.ID, Version: req.Version, Outcome: "exempt", CorrectionPlan: "改为视频走访，每月留存截图"}); err != nil {
			t.Fatal(err)
		}
		if err := tol(inspector, store.ToleranceAction{Action: "correct", RequestID: req.ID, Version: req.Version + 1}); err != nil {
			t.Fatal(err)
		}
		if err := act(inspector, store.AccountabilityAction{Action: "decide", Decision: "none", Evidence: "容错免责决定书"}); err != nil {
			t.Fatal(err)
		}
		if x.Status != registry.AccountabilityDecided || len(x.Tolerance) != 1 || x.Tolerance[0].Status != "corrected" {
			t.Fatalf("case after decision: %+v", x)
		}
		if err := act(inspector, store.AccountabilityAction{Action: "investigate", Findings: "again"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("a decided case took another step: %v", err)
		}
		// By hand, with a reason.
		m := registry.AccountabilityCase{CadreID: c.ID, Period: "2026-11", Basis: "群众反映帮扶干部长期不入户"}
		if err := s.OpenAccountability(ctx, inspector, &m); err != nil || m.Rule != "manual" {
			t.Fatalf("manual case: %+v %v", m, err)
		}
		if cs, _ := s.AccountabilityCases(ctx, inspector, ""); len(cs) != 2 {
			t.Fatalf("cases: %+v", cs)
		}
		if _, bad, err := s.VerifyAudit(ctx); bad != nil || err != nil {
			t.Fatalf("audit: %+v %v", bad, err)
		}
	})
}

func TestIntegritySignals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		sys := auth.System("t")
		a := fixture("I1", villageA, 1)
		a.Incomes = []registry.Income{{Year: 2025, Wages: 600000}, {Year: 2026, Wages: 3000000}}
		a.Members[1].Deceased, a.Members[1].Dibao = true, true
		if err := s.CreateHousehold(ctx, sys, &a); err != nil {
			e, _ := fault.As(err)
			t.Fatalf("%v %+v", err, e)
		}
		// The same ID number in a household of another county.
		other := fixture("I2", division.MustBuiltin().Villages("530621")[0].Code, 2)
		other.Members[0].IDNumber = a.Members[0].IDNumber
		if err := s.CreateHousehold(ctx, sys, &other); err != nil {
			t.Fatal(err)
		}
		inspector := auth.Principal{Username: "jw", Role: auth.Inspector, Area: "530627"}
		if _, err := s.IntegritySignals(ctx, auth.Principal{Username: "v", Role: auth.Viewer, Area: "530627"}, "", "2026-11"); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("a viewer saw the signals: %v", err)
		}
		sig, err := s.IntegritySignals(ctx, inspector, "", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if sig.Counts["income_jump"] != 1 || sig.Counts["dead_counted"] != 1 || sig.Counts["duplicate_id"] != 1 || len(sig.Missing) != 1 {
			t.Fatalf("signals: %+v", sig)
		}
		// A measure behind the jump clears it.
		c := registry.Case{HouseholdID: a.ID, Channel: "self_report", LeadDate: "2026-10-30"}
		if err := s.OpenCase(ctx, admin, &c, ""); err != nil {
			t.Fatal(err)
		}
		for _, act := range []registry.CaseAction{
			{Action: "check", Outcome: "at_risk", Category: "unstable", Consent: true, Evidence: "x", Date: "2026-11-01"},
			{Action: "notice", Evidence: "x", Date: "2026-11-02"},
			{Action: "township_review", Outcome: "approve", Evidence: "x", Date: "2026-11-08"},
			{Action: "county_approve", Outcome: "approve", Evidence: "x", Date: "2026-11-09"},
			{Action: "assist", Measure: &registry.CaseMeasure{Category: "employment", Description: "公益岗", Unit: "人社局"}},
		} {
			got, err := s.Case(ctx, admin, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			act.Version = got.Version
			if _, err := s.ActOnCase(ctx, admin, c.ID, act); err != nil {
				t.Fatal(err)
			}
		}
		if sig, _ := s.IntegritySignals(ctx, inspector, "", "2026-11"); sig.Counts["income_jump"] != 0 {
			t.Fatalf("a jump with a measure behind it is still flagged: %+v", sig)
		}
	})
}
