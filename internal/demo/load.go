package demo

import (
	"context"
	"fmt"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// Options says what demo county to make.
type Options struct {
	Households int
	Seed       uint64
	// Progress, when set, is called now and then with households written.
	Progress func(done, total int)
	// Months of history to play after the registry is written (a year by
	// the command line's default); 0 gives the bare registry.
	Months int
	// Log, when set, gets a line per month of history.
	Log func(string)
}

// Result counts what was written.
type Result struct {
	Households, Members, Cadres, Pairings int
	Elapsed                               time.Duration
	History                               HistoryResult
}

// Load writes a demo county into s in one transaction: all of it or, on
// error, nothing.
func Load(ctx context.Context, s *store.Store, o Options) (Result, error) {
	start := time.Now()
	var res Result
	clock := s.Clock()
	now := clock()
	if o.Months > 0 {
		// With a history the registry is made and entered as it stood at
		// the history's start, so nobody in it is born later than that.
		first := policy.PeriodOf(now.AddDate(0, 1-o.Months, 0)).Start().Add(8 * time.Hour)
		s.SetClock(func() time.Time { return first })
		defer s.SetClock(clock)
	}
	g := New(s.Divisions(), division.Zhenxiong, o.Seed, s.Now())
	b, err := s.BeginBulk(ctx, auth.System("demo"))
	if err != nil {
		return res, err
	}
	b.KeepIDs = true
	if err := b.DeferIndexes(); err != nil {
		b.Rollback()
		return res, err
	}
	refs := make([]HouseholdRef, 0, o.Households)
	persons := map[string]int64{}
	numbers := make([]string, 0, o.Households)
	for i := 0; i < o.Households; i++ {
		h := g.Household()
		numbers = append(numbers, h.Number)
		persons[h.VillageCode] += int64(len(h.Members))
		refs = append(refs, HouseholdRef{VillageCode: h.VillageCode})
		if err := b.AddHousehold(&h); err != nil {
			b.Rollback()
			return res, err
		}
		if o.Progress != nil && (i+1)%5000 == 0 {
			o.Progress(i+1, o.Households)
		}
	}
	if err := b.Flush(); err != nil {
		b.Rollback()
		return res, err
	}
	for i := range refs {
		id, ok := b.HouseholdID(numbers[i])
		if !ok {
			b.Rollback()
			return res, fmt.Errorf("demo: household %s not written", numbers[i])
		}
		refs[i].ID = id
	}
	cadres := g.Cadres(refs)
	for i := range cadres {
		if err := b.AddCadre(&cadres[i]); err != nil {
			b.Rollback()
			return res, err
		}
	}
	prs := g.Pairings(refs, cadres)
	if err := b.AddPairings(prs); err != nil {
		b.Rollback()
		return res, err
	}
	if err := b.LogChange(division.Zhenxiong, "demo", 0, 0, "generate", nil, map[string]any{"households": o.Households, "seed": o.Seed}); err != nil {
		b.Rollback()
		return res, err
	}
	if err := b.Commit(); err != nil {
		return res, err
	}
	s.SetClock(clock)
	// Rural registered population (农村户籍人口) of each village, the
	// denominator of incidence: the registry holds a fifth to a
	// seventh of a village's people.
	for _, v := range g.villages {
		n := persons[v.Code]
		if n == 0 {
			continue
		}
		pop := store.VillagePopulation{Village: v.Code, Year: s.Now().Year(), Population: n * int64(5+g.rng.IntN(3)), Source: "demo"}
		if err := s.SetVillagePopulation(ctx, pop); err != nil {
			return res, err
		}
	}
	if err := s.Checkpoint(ctx); err != nil {
		return res, err
	}
	if o.Progress != nil {
		o.Progress(o.Households, o.Households)
	}
	res = Result{Households: b.Households, Members: b.Members, Cadres: len(cadres), Pairings: len(prs)}
	if o.Months > 0 {
		h := &history{g: g, s: s, a: assess.New(s), refs: refs, cadre: map[int64]pairedCadre{}, log: o.Log, county: division.Zhenxiong,
			recovered: map[int64]bool{}}
		byID := map[int64]registry.Cadre{}
		for _, c := range cadres {
			byID[c.ID] = c
		}
		for _, p := range prs {
			if p.End == "" {
				h.cadre[p.HouseholdID] = pairedCadre{id: p.CadreID, username: byID[p.CadreID].Username}
			}
		}
		if err := h.run(ctx, o.Months); err != nil {
			return res, err
		}
		res.History = h.res
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
