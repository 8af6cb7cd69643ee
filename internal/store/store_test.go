package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/idcard"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

var ctx = context.Background()

// Two villages in different townships of Zhenxiong.
const (
	villageA = "530627001001"
	villageB = "530627002001"
)

var admin = auth.Principal{Username: "admin", Role: auth.CountyAdmin, Area: "530627"}

func fixture(number, village string, seq int) registry.Household {
	birth := time.Date(1970+seq%30, time.Month(1+seq%12), 1+seq%28, 0, 0, 0, 0, time.UTC)
	return registry.Household{
		Number: number, VillageCode: village, HeadName: "王国华", Phone: "13812345678", BankAccount: "6217000011112222333",
		Standard: "national", Attribute: "general", MainCause: "illness", OtherCauses: []string{"skills"}, Status: "exited",
		IdentifiedYear: 2014, ExitYear: 2019, FoodSecure: true, ClothingSecure: true, HousingGrade: "B", WaterSource: "tap",
		WaterLitres: 60, Electricity: true,
		Members: []registry.Member{
			{Name: "王国华", Sex: "M", IDNumber: idcard.Build("530627", birth, 2*seq+1), Relation: "head", Health: "healthy", Labour: "ordinary", MedicalInsurance: true},
			{Name: "李秀英", Sex: "F", IDNumber: idcard.Build("530627", birth.AddDate(2, 0, 0), 2*seq+2), Relation: "spouse", Health: "chronic", Labour: "ordinary", MedicalInsurance: true},
		},
		Incomes: []registry.Income{{Year: 2025, Wages: 3000000, Transfers: 200000}},
	}
}

func TestHouseholdCreateReadUpdate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("H1", villageA, 1)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetHousehold(ctx, admin, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.HeadName != "王国华" || len(got.Members) != 2 || got.Members[0].BirthDate == "" || got.Version != 1 || got.County != "530627" {
			t.Fatalf("read back: %+v", got)
		}
		if got.Incomes[0].Net != 3200000 || got.Incomes[0].PerCapita != 1600000 {
			t.Fatalf("income: %+v", got.Incomes[0])
		}
		if strings.Join(got.OtherCauses, ",") != "skills" {
			t.Fatalf("causes %v", got.OtherCauses)
		}
		// Update with the right version.
		got.HousingGrade = "C"
		if err := s.UpdateHousehold(ctx, admin, &got); err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 {
			t.Fatalf("version %d", got.Version)
		}
		// A stale edit is a conflict and overwrites nothing.
		stale := got
		stale.Version = 1
		stale.HousingGrade = "D"
		if err := s.UpdateHousehold(ctx, admin, &stale); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("stale update: %v", err)
		}
		now, _ := s.GetHousehold(ctx, admin, h.ID)
		if now.HousingGrade != "C" || now.Version != 2 {
			t.Fatalf("stale edit overwrote: %+v", now)
		}
		hist, err := s.History(ctx, admin, h.ID)
		if err != nil || len(hist) != 2 || hist[0].Action != "update" || !strings.Contains(hist[0].Before, `"housing_grade":"B"`) || !strings.Contains(hist[0].After, `"housing_grade":"C"`) || hist[0].Actor != "admin" {
			t.Fatalf("history: %+v %v", hist, err)
		}
		// Invalid input is refused with the field named.
		bad := fixture("H2", villageA, 2)
		bad.Members[0].IDNumber = bad.Members[0].IDNumber[:17] + "0"
		if bad.Members[0].IDNumber == fixture("H2", villageA, 2).Members[0].IDNumber {
			bad.Members[0].IDNumber = bad.Members[0].IDNumber[:17] + "1"
		}
		bad.HousingGrade = "E"
		err = s.CreateHousehold(ctx, admin, &bad)
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid || len(fe.Fields) != 2 {
			t.Fatalf("invalid create: %v", err)
		}
		// The same person in a second household is refused.
		dup := fixture("H3", villageA, 3)
		dup.Members[1].IDNumber = h.Members[1].IDNumber
		if err := s.CreateHousehold(ctx, admin, &dup); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("duplicate ID: %v", err)
		}
		// A duplicate household number too.
		again := fixture("H1", villageA, 4)
		if err := s.CreateHousehold(ctx, admin, &again); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("duplicate number: %v", err)
		}
		if n, _, _ := s.Counts(ctx); n != 1 {
			t.Fatalf("households stored: %d", n)
		}
	})
}

func TestScopeAndMasking(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		a := fixture("A1", villageA, 1)
		b := fixture("B1", villageB, 2)
		for _, h := range []*registry.Household{&a, &b} {
			if err := s.CreateHousehold(ctx, admin, h); err != nil {
				t.Fatal(err)
			}
		}
		townA := auth.Principal{Username: "ta", Role: auth.TownshipOfficer, Area: villageA[:9]}
		// Read outside the scope looks like "not found".
		if _, err := s.GetHousehold(ctx, townA, b.ID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope read: %v", err)
		}
		if _, err := s.ListMembers(ctx, townA, b.ID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope members: %v", err)
		}
		if _, err := s.History(ctx, townA, b.ID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope history: %v", err)
		}
		items, total, err := s.ListHouseholds(ctx, townA, store.HouseholdFilter{})
		if err != nil || total != 1 || items[0].ID != a.ID {
			t.Fatalf("scoped list: %d %v", total, err)
		}
		// Asking for another area gives nothing, not that area.
		if _, total, _ := s.ListHouseholds(ctx, townA, store.HouseholdFilter{Area: villageB}); total != 0 {
			t.Fatalf("list of a foreign area returned %d", total)
		}
		// A wider area is narrowed to the scope.
		if _, total, _ := s.ListHouseholds(ctx, townA, store.HouseholdFilter{Area: "5306"}); total != 1 {
			t.Fatalf("wider area: %d", total)
		}
		// Writes outside the scope are refused, and so is moving a
		// household out of it.
		bb, _ := s.GetHousehold(ctx, admin, b.ID)
		bb.HousingGrade = "D"
		if err := s.UpdateHousehold(ctx, townA, &bb); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope update: %v", err)
		}
		aa, _ := s.GetHousehold(ctx, townA, a.ID)
		aa.VillageCode = villageB
		if err := s.UpdateHousehold(ctx, townA, &aa); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("moving out of scope: %v", err)
		}
		c := fixture("B2", villageB, 5)
		if err := s.CreateHousehold(ctx, townA, &c); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope create: %v", err)
		}
		m := registry.Member{HouseholdID: b.ID, Name: "王小明", Sex: "M", IDNumber: idcard.Build("530627", time.Date(2012, 5, 5, 0, 0, 0, 0, time.UTC), 11), Relation: "son", Health: "healthy", Labour: "none"}
		if err := s.SaveMember(ctx, townA, &m); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("out-of-scope member: %v", err)
		}
		// Viewers see masked personal data; search by ID still works for
		// those who may see it.
		viewer := auth.Principal{Username: "v", Role: auth.Viewer, Area: "530627"}
		hv, err := s.GetHousehold(ctx, viewer, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if hv.Phone == a.Phone || !strings.Contains(hv.Phone, "****") || strings.Contains(hv.Members[0].IDNumber, a.Members[0].IDNumber[6:14]) || hv.BankAccount == a.BankAccount {
			t.Fatalf("viewer sees personal data: %s %s %s", hv.Phone, hv.Members[0].IDNumber, hv.BankAccount)
		}
		lv, _, _ := s.ListHouseholds(ctx, viewer, store.HouseholdFilter{})
		for _, h := range lv {
			if !strings.Contains(h.Phone, "****") {
				t.Fatalf("viewer list shows phone %s", h.Phone)
			}
		}
		if err := s.UpdateHousehold(ctx, viewer, &hv); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("viewer update: %v", err)
		}
		ha, _ := s.GetHousehold(ctx, townA, a.ID)
		if ha.Members[0].IDNumber != a.Members[0].IDNumber {
			t.Fatal("township officer gets a masked ID")
		}
		for _, q := range []string{a.Members[1].IDNumber, "李秀", "A1", "王国"} {
			items, total, _ := s.ListHouseholds(ctx, townA, store.HouseholdFilter{Q: q})
			if total != 1 || items[0].ID != a.ID {
				t.Fatalf("search %q: %d", q, total)
			}
		}
	})
}

func TestPairingHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		h := fixture("P1", villageA, 1)
		if err := s.CreateHousehold(ctx, admin, &h); err != nil {
			t.Fatal(err)
		}
		c1 := registry.Cadre{Name: "张强", Unit: "镇雄县教育体育局", UnitLevel: "county", Area: villageA[:9], Phone: "13900001111"}
		c2 := registry.Cadre{Name: "刘芳", Unit: "镇雄县卫生健康局", UnitLevel: "county", Area: villageA[:9]}
		for _, c := range []*registry.Cadre{&c1, &c2} {
			if err := s.SaveCadre(ctx, admin, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: c1.ID, Start: "2024-01-01"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: c2.ID, Start: "2025-06-01", Reason: "调整"}); err != nil {
			t.Fatal(err)
		}
		prs, err := s.Pairings(ctx, admin, h.ID)
		if err != nil || len(prs) != 2 {
			t.Fatalf("pairings: %+v %v", prs, err)
		}
		if prs[0].CadreID != c2.ID || prs[0].End != "" || prs[1].CadreID != c1.ID || prs[1].End != "2025-06-01" {
			t.Fatalf("history wrong: %+v", prs)
		}
		cs, _, _ := s.ListCadres(ctx, admin, "", 1, 10)
		counts := map[int64]int{}
		for _, c := range cs {
			counts[c.ID] = c.Households
		}
		if counts[c1.ID] != 0 || counts[c2.ID] != 1 {
			t.Fatalf("current pairings per cadre: %v", counts)
		}
		// A stale cadre edit conflicts.
		c1.Post = "科长"
		if err := s.SaveCadre(ctx, admin, &c1); err != nil {
			t.Fatal(err)
		}
		c1.Version = 1
		if err := s.SaveCadre(ctx, admin, &c1); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("stale cadre: %v", err)
		}
		if err := s.Pair(ctx, admin, &registry.Pairing{HouseholdID: h.ID, CadreID: 999999, Start: "2025-07-01"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("unknown cadre: %v", err)
		}
	})
}

func TestLoginLockoutAndTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		clock := storetest.Now
		s.SetClock(func() time.Time { return clock })
		if _, err := s.AddUser(ctx, "li", "correct-horse", auth.TownshipOfficer, villageA[:9]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, "li", "another-pass", auth.Viewer, "530627"); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("duplicate user: %v", err)
		}
		if _, err := s.AddUser(ctx, "x", "short", "king", "999"); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("bad user: %v", err)
		}
		u, tok, err := s.Login(ctx, "li", "correct-horse")
		if err != nil || tok == "" || u.Area != villageA[:9] {
			t.Fatalf("login: %v", err)
		}
		if got, err := s.Authenticate(ctx, tok); err != nil || got.Username != "li" {
			t.Fatalf("authenticate: %v", err)
		}
		for i := 0; i < store.MaxFailedLogins-1; i++ {
			if _, _, err := s.Login(ctx, "li", "wrong"); fault.KindOf(err) != fault.Unauthorized {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		if _, _, err := s.Login(ctx, "li", "wrong"); fault.KindOf(err) != fault.Locked {
			t.Fatalf("fifth failure should lock: %v", err)
		}
		if _, _, err := s.Login(ctx, "li", "correct-horse"); fault.KindOf(err) != fault.Locked {
			t.Fatalf("locked account let in: %v", err)
		}
		clock = clock.Add(store.LockoutPeriod + time.Second)
		if _, _, err := s.Login(ctx, "li", "correct-horse"); err != nil {
			t.Fatalf("after lockout: %v", err)
		}
		// Sessions expire; API tokens last longer.
		api, err := s.CreateToken(ctx, "li")
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(store.SessionLifetime + time.Minute)
		if _, err := s.Authenticate(ctx, tok); fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("expired session accepted: %v", err)
		}
		if _, err := s.Authenticate(ctx, api); err != nil {
			t.Fatalf("token: %v", err)
		}
		if _, err := s.Authenticate(ctx, api+"x"); fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("forged token: %v", err)
		}
		if err := s.Logout(ctx, api); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, api); fault.KindOf(err) != fault.Unauthorized {
			t.Fatal("token works after logout")
		}
	})
}

func TestSchemaVersionChecks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
		have, want, _ := s.SchemaVersion(ctx)
		if _, err := s.TestExec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 'x')`, want+1); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("newer schema accepted: %v", err)
		}
		if _, err := s.TestExec(`DELETE FROM schema_migrations WHERE version >= $1`, have); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "older") {
			t.Fatalf("outdated schema accepted: %v", err)
		}
		var n int
		s.TestQueryRow(`SELECT COUNT(*) FROM divisions WHERE parent_code = '530627'`).Scan(&n)
		if n != 30 {
			t.Fatalf("townships loaded: %d", n)
		}
	})
}

func TestBulkRollbackLeavesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, s *store.Store) {
		b, err := s.BeginBulk(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 250; i++ {
			h := fixture(fmt.Sprintf("K%03d", i), villageA, i)
			h.County = "530627"
			if err := b.AddHousehold(&h); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.Households != 250 || b.Members != 500 {
			t.Fatalf("bulk counts %d %d", b.Households, b.Members)
		}
		if err := b.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n, m, _ := s.Counts(ctx); n != 0 || m != 0 {
			t.Fatalf("rollback left %d households %d members", n, m)
		}
	})
}
