package assess_test

import (
	"testing"

	"tuopin/internal/assess"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

func TestStabilityAndElimination(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a, _ := county(t, s, 60)
		for m := 6; m <= 10; m++ {
			if _, err := a.Period(ctx, admin, policy.Period{Year: 2026, Month: m}, assess.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		// Stability judged on the stored snapshots agrees with the stored
		// findings of the monitoring set, month by month.
		var stable, unstable int64
		hs, _, _ := s.ListHouseholds(ctx, admin, store.HouseholdFilter{PageSize: 60})
		for _, h := range hs {
			months, err := a.Stability(ctx, admin, h.ID, period)
			if err != nil {
				t.Fatal(err)
			}
			if len(months) != registry.EliminationMonths || months[0].Period != "2026-06" || months[5].Period != "2026-11" {
				t.Fatalf("months: %+v", months)
			}
			all := true
			for _, m := range months {
				finds, _ := s.Findings(ctx, admin, h.ID, m.Period)
				var monitorPass, found bool
				for _, f := range finds {
					if rs, err := s.RuleSet(ctx, f.RuleSetID); err == nil && rs.Kind == policy.KindMonitor {
						found, monitorPass = true, f.Fail == 0
					}
				}
				if !m.Assessed || !found || m.Passed != monitorPass {
					t.Fatalf("household %d %s: stability %+v, monitor finding found %v passed %v", h.ID, m.Period, m, found, monitorPass)
				}
				all = all && m.Passed
			}
			if all && stable == 0 {
				stable = h.ID
			}
			if !all && unstable == 0 {
				unstable = h.ID
			}
		}
		if stable == 0 || unstable == 0 {
			t.Fatalf("the demo county needs a stable and an unstable household: %d %d", stable, unstable)
		}
		// Months not assessed are not stable.
		if months, _ := a.Stability(ctx, admin, stable, policy.Period{Year: 2027, Month: 1}); months[4].Assessed || months[5].Assessed || !months[3].Assessed {
			t.Fatalf("future months: %+v", months)
		}

		// A case approved in May, assisted, then eliminated on the six
		// months the assessor judges; the unstable household is refused.
		eliminate := func(hh int64) error {
			c := registry.Case{HouseholdID: hh, Channel: "self_report", Source: "12317", LeadDate: "2026-05-20"}
			if err := s.OpenCase(ctx, admin, &c, ""); err != nil {
				t.Fatal(err)
			}
			for _, act := range []registry.CaseAction{
				{Action: "check", Outcome: "at_risk", Category: "unstable", Consent: true, Evidence: "核查", Date: "2026-05-21"},
				{Action: "notice", Evidence: "评议", Date: "2026-05-21"},
				{Action: "township_review", Outcome: "approve", Evidence: "审核", Date: "2026-05-27"},
				{Action: "county_approve", Outcome: "approve", Evidence: "确认", Date: "2026-05-28"},
				{Action: "assist", Measure: &registry.CaseMeasure{Category: "employment", Description: "公益岗位", Unit: "县人社局"}, Date: "2026-06-01"},
				// Whatever stability a caller sends is replaced by the assessor's.
				{Action: "eliminate", Evidence: "风险消除", Stable: []registry.StableMonth{{Period: "2026-11", Assessed: true, Passed: true}}},
			} {
				got, err := s.Case(ctx, admin, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				act.Version = got.Version
				if _, err := a.ActOnCase(ctx, admin, c.ID, act); err != nil {
					return err
				}
			}
			return nil
		}
		if err := eliminate(stable); err != nil {
			t.Fatalf("stable household: %v", err)
		}
		if err := eliminate(unstable); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("unstable household: %v", err)
		}
	})
}
