package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

// stableMonths makes n passing months starting with first (YYYY-MM).
func stableMonths(first string, n int) []registry.StableMonth {
	t, _ := time.Parse("2006-01", first)
	var out []registry.StableMonth
	for i := 0; i < n; i++ {
		out = append(out, registry.StableMonth{Period: t.AddDate(0, i, 0).Format("2006-01"), Assessed: true, Passed: true})
	}
	return out
}

func TestMonitoringCaseLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("M1", villageA, 1)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		cadre := auth.Principal{Username: "cadre", Role: auth.PairedCadre, Area: villageA}
		town := auth.Principal{Username: "town", Role: auth.TownshipOfficer, Area: villageA[:9]}
		other := auth.Principal{Username: "other", Role: auth.TownshipOfficer, Area: villageB[:9]}

		// Cadre screening: a risk seen on a visit opens a lead, once.
		v := registry.Visit{HouseholdID: h.ID, Date: "2026-11-02", Kind: "in_person", Facts: registry.VisitFacts{Risks: []string{"illness"}}}
		if err := s.RecordVisit(ctx, cadre, &v); err != nil {
			t.Fatal(err)
		}
		if v.CaseID == 0 {
			t.Fatal("a risk on a visit opened no case")
		}
		v2 := registry.Visit{HouseholdID: h.ID, Date: "2026-11-03", Kind: "phone", Facts: registry.VisitFacts{Risks: []string{"disaster"}}}
		if err := s.RecordVisit(ctx, cadre, &v2); err != nil || v2.CaseID != v.CaseID {
			t.Fatalf("second visit: case %d, want %d (%v)", v2.CaseID, v.CaseID, err)
		}
		if err := s.OpenCase(ctx, admin, &registry.Case{HouseholdID: h.ID, Channel: "self_report"}, "12317"); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("second case: %v", err)
		}
		if _, err := s.Case(ctx, other, v.CaseID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out of scope: %v", err)
		}
		c, _ := s.Case(ctx, admin, v.CaseID)
		if c.Channel != "cadre_screening" || c.Status != registry.CaseLead || c.LeadDate != "2026-11-02" || len(c.Steps) != 1 {
			t.Fatalf("lead: %+v", c)
		}
		act := func(p auth.Principal, a registry.CaseAction) (registry.Case, error) {
			a.Version = c.Version
			got, err := s.ActOnCase(ctx, p, c.ID, a)
			if err == nil {
				c = got
			}
			return got, err
		}
		want := func(err error, kind fault.Kind, what string) {
			t.Helper()
			if (kind == "" && err != nil) || (kind != "" && fault.KindOf(err) != kind) {
				t.Fatalf("%s: got %v, want %s", what, err, kind)
			}
		}

		// Household check needs the signed consent and evidence.
		_, err := act(cadre, registry.CaseAction{Action: "check", Outcome: "at_risk", Category: "sudden", Evidence: "核查表"})
		want(err, fault.Invalid, "check without consent")
		_, err = act(cadre, registry.CaseAction{Action: "check", Outcome: "at_risk", Category: "sudden", Consent: true})
		want(err, fault.Invalid, "check without evidence")
		_, err = act(cadre, registry.CaseAction{Action: "notice", Evidence: "x"})
		want(err, fault.Invalid, "notice before check")
		_, err = act(cadre, registry.CaseAction{Action: "check", Outcome: "at_risk", Category: "sudden", Consent: true, Evidence: "核查表、授权承诺书", Date: "2026-11-05"})
		want(err, "", "check")

		// The village notice runs at least five days.
		_, err = act(cadre, registry.CaseAction{Action: "notice", Evidence: "评议记录", NoticeDays: 3})
		want(err, fault.Invalid, "three-day notice")
		_, err = act(cadre, registry.CaseAction{Action: "notice", Evidence: "评议记录", Date: "2026-11-24"})
		want(err, "", "notice")
		if c.NoticeStart != "2026-11-24" || c.NoticeEnd != "2026-11-29" {
			t.Fatalf("notice dates: %s – %s", c.NoticeStart, c.NoticeEnd)
		}

		// The public notice shows no ID, phone, bank or health data.
		ns, err := s.Notices(ctx, admin, villageA[:6], "2026-11-26")
		if err != nil || len(ns) != 1 || ns[0].Category != "sudden" || ns[0].HeadName == "" {
			t.Fatalf("notices: %+v %v", ns, err)
		}
		raw, _ := json.Marshal(ns)
		full, _ := s.GetHousehold(ctx, admin, h.ID)
		for _, secret := range []string{full.Members[0].IDNumber, full.Phone, full.BankAccount, "illness", "health"} {
			if secret != "" && strings.Contains(string(raw), secret) {
				t.Fatalf("notice shows %q: %s", secret, raw)
			}
		}
		if ns, _ := s.Notices(ctx, admin, "", "2026-12-01"); len(ns) != 0 {
			t.Fatalf("notice after its end: %+v", ns)
		}

		// Township review: the township's role, after the notice.
		_, err = act(cadre, registry.CaseAction{Action: "township_review", Outcome: "approve", Evidence: "审核意见"})
		want(err, fault.Forbidden, "township review by a cadre")
		_, err = act(town, registry.CaseAction{Action: "township_review", Outcome: "approve", Evidence: "审核意见", Date: "2026-11-28"})
		want(err, fault.Invalid, "township review during the notice")
		_, err = act(town, registry.CaseAction{Action: "township_review", Outcome: "approve", Evidence: "审核意见"})
		want(err, "", "township review")

		// County approval: the county's role; 2026-11-02 + 15 days has passed.
		_, err = act(town, registry.CaseAction{Action: "county_approve", Outcome: "approve", Evidence: "x"})
		want(err, fault.Forbidden, "county approval by the township")
		if cs, _ := s.Cases(ctx, admin, store.CaseFilter{Status: registry.CaseTownship}); len(cs) != 1 || cs[0].Overdue != "approval" {
			t.Fatalf("late case not flagged: %+v", cs)
		}
		_, err = act(admin, registry.CaseAction{Action: "county_approve", Outcome: "approve", Evidence: "县级确认文件", Date: "2026-11-29"})
		want(err, "", "county approval")
		if c.Status != registry.CaseMonitored || !c.Late || c.ApprovedAt != "2026-11-29" {
			t.Fatalf("approved: %+v", c)
		}

		// Elimination needs a measure and six stable months after approval.
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: stableMonths("2026-12", 6)})
		want(err, fault.Invalid, "elimination without a measure")
		_, err = act(cadre, registry.CaseAction{Action: "assist", Measure: &registry.CaseMeasure{Category: "health", Description: "大病救助", Unit: "县医保局", Cost: 500000}})
		want(err, "", "assist")
		if len(c.Measures) != 1 || c.Measures[0].Category != "health" || !c.Measures[0].Development() {
			t.Fatalf("measures: %+v", c.Measures)
		}
		_, err = act(cadre, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: stableMonths("2026-11", 6)})
		want(err, fault.Forbidden, "elimination by a cadre")
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: stableMonths("2026-11", 6)})
		want(err, fault.Invalid, "elimination on months still to come")
		s.SetClock(func() time.Time { return storetest.Now.AddDate(0, 6, 0) })
		defer s.SetClock(func() time.Time { return storetest.Now })
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: stableMonths("2026-06", 6)})
		want(err, fault.Invalid, "elimination on months before approval")
		months := stableMonths("2026-11", 6)
		months[3].Passed = false
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: append(stableMonths("2026-11", 3), stableMonths("2027-03", 3)...)})
		want(err, fault.Invalid, "elimination on months with a gap")
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: months})
		want(err, fault.Invalid, "elimination with an unstable month")
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "x", Stable: stableMonths("2026-11", 5)})
		want(err, fault.Invalid, "elimination on five months")
		_, err = act(admin, registry.CaseAction{Action: "eliminate", Evidence: "风险消除评议、公示、审批", Stable: stableMonths("2026-11", 6)})
		want(err, "", "elimination")
		if c.Status != registry.CaseEliminated || len(c.Steps) != 7 || c.ClosedAt != "2027-05-29" {
			t.Fatalf("eliminated: %+v", c)
		}
		// A stale version is a conflict.
		if _, err := s.ActOnCase(ctx, admin, c.ID, registry.CaseAction{Action: "assist", Version: 1}); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("stale: %v", err)
		}
		// The data stays, and a new lead may now be opened.
		if err := s.OpenCase(ctx, admin, &registry.Case{HouseholdID: h.ID, Channel: "self_report", Source: "12317"}, ""); err != nil {
			t.Fatal(err)
		}
		if _, bad, err := s.VerifyAudit(ctx); bad != nil || err != nil {
			t.Fatalf("audit: %+v %v", bad, err)
		}
	})
}

func TestDepartmentAlerts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a := fixture("D1", villageA, 1)
		b := fixture("D2", villageB, 2)
		for _, h := range []*registry.Household{&a, &b} {
			if err := s.CreateHousehold(ctx, admin, h); err != nil {
				t.Fatal(err)
			}
		}
		town := auth.Principal{Username: "town", Role: auth.TownshipOfficer, Area: villageA[:9]}
		good := registry.DepartmentAlert{Row: 2, IDNumber: a.Members[1].IDNumber, Department: "县医保局", Risk: "illness"}
		outside := registry.DepartmentAlert{Row: 3, IDNumber: b.Members[0].IDNumber, Department: "县医保局"}
		broken := registry.DepartmentAlert{Row: 4, IDNumber: "53062719800101001X", Department: "县医保局"}

		// Any bad row: nothing is written, and the report names each row.
		rep := registry.AlertReport{File: "医保.csv"}
		if err := s.ImportAlerts(ctx, town, &rep, []registry.DepartmentAlert{good, outside, broken}, false); err != nil {
			t.Fatal(err)
		}
		if rep.Committed || rep.Matched != 1 || len(rep.Errors) != 2 || rep.Errors[0].Row != 3 || rep.Errors[1].Row != 4 {
			t.Fatalf("report: %+v", rep)
		}
		if cs, _ := s.Cases(ctx, admin, store.CaseFilter{}); len(cs) != 0 {
			t.Fatalf("a file with errors wrote %d cases", len(cs))
		}
		// A dry run writes nothing either.
		rep = registry.AlertReport{File: "医保.csv"}
		if err := s.ImportAlerts(ctx, town, &rep, []registry.DepartmentAlert{good}, true); err != nil || rep.Committed || rep.Matched != 1 {
			t.Fatalf("dry run: %+v %v", rep, err)
		}
		rep = registry.AlertReport{File: "医保.csv"}
		if err := s.ImportAlerts(ctx, town, &rep, []registry.DepartmentAlert{good}, false); err != nil || !rep.Committed || rep.Opened != 1 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		cs, _ := s.Cases(ctx, admin, store.CaseFilter{})
		if len(cs) != 1 || cs[0].HouseholdID != a.ID || cs[0].Channel != "department" || cs[0].Risks[0] != "illness" {
			t.Fatalf("cases: %+v", cs)
		}
		// Viewers do not see risks, which can reveal health.
		viewer := auth.Principal{Username: "v", Role: auth.Viewer, Area: "530627"}
		if vc, _ := s.Cases(ctx, viewer, store.CaseFilter{}); len(vc) != 1 || len(vc[0].Risks) != 0 {
			t.Fatalf("viewer cases: %+v", vc)
		}
		rep = registry.AlertReport{File: "医保.csv"}
		if err := s.ImportAlerts(ctx, town, &rep, []registry.DepartmentAlert{good}, false); err != nil || rep.Opened != 0 || rep.AlreadyOpen != 1 {
			t.Fatalf("again: %+v %v", rep, err)
		}
	})
}

func TestHouseholdListFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a := fixture("F1", villageA, 1)
		b := fixture("F2", villageA, 2)
		b.Attribute, b.MainCause = "dibao", "disability"
		for _, h := range []*registry.Household{&a, &b} {
			if err := s.CreateHousehold(ctx, admin, h); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.OpenCase(ctx, admin, &registry.Case{HouseholdID: b.ID, Channel: "self_report"}, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f    store.HouseholdFilter
			want int64
		}{
			{store.HouseholdFilter{Attribute: "dibao"}, b.ID},
			{store.HouseholdFilter{Cause: a.MainCause}, a.ID},
			{store.HouseholdFilter{Monitored: true}, b.ID},
		} {
			items, total, err := s.ListHouseholds(ctx, admin, tc.f)
			if err != nil || total != 1 || items[0].ID != tc.want {
				t.Fatalf("%+v: %d items %v", tc.f, total, err)
			}
		}
		if _, total, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{Shortfalls: true}); total != 0 {
			t.Fatalf("households with shortfalls: %d", total)
		}
	})
}
