package store_test

import (
	"testing"

	"tuopin/internal/audit"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

func TestAuditChain(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		// A few writes of different kinds, each chained in its transaction.
		h := fixture("A1", villageA, 1)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		h.Group = "5组"
		if err := s.UpdateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveIncome(ctx, admin, h.ID, &registry.Income{Year: 2024, Wages: 100000}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveParam(ctx, "li", policy.Param{Jurisdiction: "53", Kind: "monitoring_line", Year: 2026, Value: 800000, Certainty: "U"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddVerification(ctx, &store.Verification{Village: villageA, Period: "2026-11", Kind: "exited", Persons: 3, Verifier: "wang"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, "zhao", "long-password", "viewer", "530627"); err != nil {
			t.Fatal(err)
		}
		n, bad, err := s.VerifyAudit(ctx)
		if err != nil || bad != nil || n < 11 { // 5 seeded rule sets + 6 writes
			t.Fatalf("fresh chain: %d entries, %+v, %v", n, bad, err)
		}
		// A failed write leaves no entry and the chain whole.
		dup := fixture("A1", villageA, 2)
		if err := s.CreateHousehold(ctx, admin, &dup); err == nil {
			t.Fatal("duplicate number accepted")
		}
		if n2, bad, _ := s.VerifyAudit(ctx); n2 != n || bad != nil {
			t.Fatalf("after a refused write: %d, %+v", n2, bad)
		}

		check := func(what string, seq int64, problem audit.Problem) {
			t.Helper()
			_, bad, err := s.VerifyAudit(ctx)
			if err != nil || bad == nil || bad.Seq != seq || bad.Problem != problem {
				t.Fatalf("%s: %+v %v, want seq %d %s", what, bad, err, seq, problem)
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := s.TestExec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		// Altered content.
		exec(`UPDATE changes SET after_json = '{"group":"6组"}' WHERE seq = 7`)
		check("altered", 7, audit.Altered)
		// Copying another entry's content in does not pass either.
		exec(`UPDATE changes SET after_json = (SELECT before_json FROM changes WHERE seq = 8) WHERE seq = 7`)
		check("still altered", 7, audit.Altered)
		// Reordered: two entries swap places.
		exec(`UPDATE changes SET seq = -1 WHERE seq = 3`)
		exec(`UPDATE changes SET seq = 3 WHERE seq = 4`)
		exec(`UPDATE changes SET seq = 4 WHERE seq = -1`)
		check("swapped", 3, audit.Reordered)
		exec(`UPDATE changes SET seq = -1 WHERE seq = 3`)
		exec(`UPDATE changes SET seq = 3 WHERE seq = 4`)
		exec(`UPDATE changes SET seq = 4 WHERE seq = -1`)
		// Deleted in the middle.
		exec(`DELETE FROM changes WHERE seq = 2`)
		check("deleted", 2, audit.Missing)
	})
}

func TestAuditTruncatedAndSealed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("B1", villageB, 3)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		n, bad, _ := s.VerifyAudit(ctx)
		if bad != nil {
			t.Fatalf("fresh: %+v", bad)
		}
		// Entries from before the log was chained are chained on migrate.
		if _, err := s.TestExec(`INSERT INTO changes (county, entity, entity_id, household_id, action, actor, at, before_json, after_json)
			VALUES ('530627', 'household', 1, 1, 'update', 'old', '2025-01-01T00:00:00Z', '', '{}')`); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n2, bad, _ := s.VerifyAudit(ctx); bad != nil || n2 != n+1 {
			t.Fatalf("sealed: %d %+v", n2, bad)
		}
		// Cutting the last entry off is noticed through the head.
		if _, err := s.TestExec(`DELETE FROM changes WHERE seq = $1`, n+1); err != nil {
			t.Fatal(err)
		}
		if _, bad, _ := s.VerifyAudit(ctx); bad == nil || bad.Problem != audit.Truncated || bad.Seq != n+1 {
			t.Fatalf("truncated: %+v", bad)
		}
	})
}
