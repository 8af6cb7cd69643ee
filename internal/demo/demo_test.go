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
