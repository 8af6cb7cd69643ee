package demo

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

var now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func TestGeneratedHouseholdsAreValid(t *testing.T) {
	tab := division.MustBuiltin()
	g := New(tab, division.Zhenxiong, 7, now)
	c := registry.Checker{Divisions: tab, Now: now}
	ids := map[string]bool{}
	sizes := map[int]int{}
	children, inSchool := 0, 0
	for i := 0; i < 3000; i++ {
		h := g.Household()
		if errs := c.Household(&h); len(errs) > 0 {
			t.Fatalf("household %d invalid: %+v", i, errs)
		}
		sizes[len(h.Members)]++
		for j := range h.Members {
			m := &h.Members[j]
			if errs := c.Member(m); len(errs) > 0 {
				t.Fatalf("member invalid: %+v %+v", m, errs)
			}
			if ids[m.IDNumber] {
				t.Fatalf("duplicate ID %s", m.IDNumber)
			}
			ids[m.IDNumber] = true
			b, _ := time.Parse("2006-01-02", m.BirthDate)
			if a := ageOn(b, now); a >= 6 && a <= 15 {
				children++
				if m.StudentStatus == "primary" || m.StudentStatus == "junior" || m.StudentStatus == "home_teaching" {
					inSchool++
				}
			}
		}
	}
	if len(sizes) < 5 {
		t.Errorf("household sizes not varied: %v", sizes)
	}
	if children == 0 || inSchool == children || inSchool < children*9/10 {
		t.Errorf("children 6–15: %d, in school %d", children, inSchool)
	}
}

func TestDeterministic(t *testing.T) {
	tab := division.MustBuiltin()
	a, b := New(tab, division.Zhenxiong, 42, now), New(tab, division.Zhenxiong, 42, now)
	for i := 0; i < 50; i++ {
		if x, y := a.Household(), b.Household(); !reflect.DeepEqual(x, y) {
			t.Fatalf("household %d differs for the same seed", i)
		}
	}
	c := New(tab, division.Zhenxiong, 43, now)
	if reflect.DeepEqual(New(tab, division.Zhenxiong, 42, now).Household(), c.Household()) {
		t.Fatal("different seeds gave the same household")
	}
}

func TestLoad(t *testing.T) {
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := Load(context.Background(), s, Options{Households: 700, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Households != 700 || res.Members < 2000 || res.Cadres < 95 || res.Cadres > 135 || res.Pairings < 700 {
		t.Fatalf("result %+v", res)
	}
	items, total, err := s.ListHouseholds(context.Background(), auth.System("t"), store.HouseholdFilter{Area: division.Zhenxiong})
	if err != nil || total != 700 || len(items) != 50 {
		t.Fatalf("list: %d %d %v", total, len(items), err)
	}
	cadres, _, err := s.ListCadres(context.Background(), auth.System("t"), "", 1, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cadres {
		if c.Households < 3 || c.Households > 12 {
			t.Errorf("cadre %d has %d households", c.ID, c.Households)
		}
	}
	prs, err := s.Pairings(context.Background(), auth.System("t"), items[0].ID)
	if err != nil || len(prs) == 0 {
		t.Fatalf("pairings %v %v", prs, err)
	}
}

func TestLoadWithHistory(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "h.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := Load(ctx, s, Options{Households: 1500, Seed: 2, Months: 8})
	if err != nil {
		t.Fatal(err)
	}
	hr := res.History
	if hr.Months != 8 || hr.Plans == 0 || hr.Fixes == 0 || hr.Risks == 0 || hr.Verified == 0 || hr.Cases == 0 || hr.Samples == 0 {
		t.Fatalf("history: %+v", hr)
	}
	if got := s.Now(); !got.Equal(now) {
		t.Fatalf("the store's clock was left at %v", got)
	}
	who := auth.System("t")
	// Each month is visited (a few households missed) and assessed.
	for _, p := range []string{"2026-04", "2026-11"} {
		cov, err := s.VisitCoverage(ctx, who, division.Zhenxiong, p)
		if err != nil || cov.Total.Rate < 0.9 || cov.Total.Rate == 1 {
			t.Fatalf("coverage %s: %+v %v", p, cov.Total, err)
		}
		if runs, err := s.Runs(ctx, p); err != nil || len(runs) == 0 {
			t.Fatalf("no assessment run in %s: %v", p, err)
		}
	}
	// The backlog falls, items were worked to verified, and the kept
	// counts and the audit chain hold.
	b, err := s.Board(ctx, who, division.Zhenxiong, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	var resolved int64
	for _, tp := range b.Trend {
		resolved += tp.Resolved
	}
	var verified int64
	for _, c := range b.Totals {
		verified += c.Verified
	}
	if resolved == 0 || verified == 0 || b.Trend[4].Opened == 0 {
		t.Fatalf("board: %+v", b)
	}
	if diffs, err := s.CheckBoard(ctx); err != nil || len(diffs) != 0 {
		t.Fatalf("board check: %+v %v", diffs, err)
	}
	if _, bad, err := s.VerifyAudit(ctx); bad != nil || err != nil {
		t.Fatalf("audit: %+v %v", bad, err)
	}
	// Cases from all three channels, some approved and some late.
	cs, err := s.Cases(ctx, who, store.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	channels, statuses := map[string]int{}, map[string]int{}
	for _, c := range cs {
		channels[c.Channel]++
		statuses[c.Status]++
	}
	if len(channels) != 3 || statuses[registry.CaseMonitored]+statuses[registry.CaseEliminated] == 0 || statuses[registry.CaseRejected] == 0 {
		t.Fatalf("cases: channels %v statuses %v", channels, statuses)
	}
	if xs, err := s.Samples(ctx, who, "2026-06", ""); err != nil || len(xs) == 0 || xs[0].Status != "done" {
		t.Fatalf("samples: %+v %v", xs, err)
	}
}
