package appraisal

import (
	"math"
	"testing"
)

var f = Formula{Code: "scorecard", Version: 1, TimelyDay: 20,
	Weights: map[string]int{Coverage: 30, Timeliness: 10, OnTime: 25, Reopened: 10, Contradicted: 15, Satisfaction: 10}}

func TestScore(t *testing.T) {
	if errs := f.Check(); len(errs) != 0 {
		t.Fatalf("shipped weights: %+v", errs)
	}
	bad := f
	bad.Weights = map[string]int{Coverage: 60, "charisma": 30}
	if errs := bad.Check(); len(errs) != 2 {
		t.Fatalf("bad formula: %+v", errs)
	}
	// Every metric measured: 30·0.8 + 10·0.5 + 25·1 + 10·(1−0.25) + 15·(1−0.5) + 10·1 = 79.
	c := Counts{Households: 10, Visited: 8, Visits: 10, TimelyVisits: 5, Resolved: 4, ResolvedOnTime: 4, Reopened: 1, Samples: 2, Contradicted: 1, Surveys: 3, Recognised: 3}
	score, measured, ms := f.Score(c)
	if !measured || math.Abs(score-79) > 1e-9 || len(ms) != len(Metrics) {
		t.Fatalf("score %v measured %v %+v", score, measured, ms)
	}
	// Nothing sampled or surveyed: those weights drop out instead of
	// counting as zero or as full marks.
	c.Samples, c.Contradicted, c.Surveys, c.Recognised = 0, 0, 0, 0
	score, _, ms = f.Score(c)
	if want := (24 + 5 + 25 + 7.5) / 75 * 100; math.Abs(score-want) > 1e-9 || !ms[4].NoData || !ms[5].NoData {
		t.Fatalf("score without samples %v, want %v", score, want)
	}
	if s, measured, _ := f.Score(Counts{}); s != 0 || measured {
		t.Fatalf("empty counts: %v %v", s, measured)
	}
}

func TestRanks(t *testing.T) {
	cards := []Card{
		{CadreID: 1, Area: "T1", Unit: "U1", Counts: Counts{Households: 10, Visited: 5}},
		{CadreID: 2, Area: "T1", Unit: "U2", Counts: Counts{Households: 10, Visited: 10}},
		{CadreID: 3, Area: "T1", Unit: "U1", Counts: Counts{Households: 10, Visited: 10}},
		{CadreID: 4, Area: "T2", Unit: "U1", Counts: Counts{Households: 10, Visited: 2}},
	}
	f.ScoreAll(cards)
	got := map[int64][2]int{}
	for _, c := range cards {
		got[c.CadreID] = [2]int{c.RankTownship, c.RankUnit}
	}
	// 2 and 3 tie at 100 in T1; 1 comes third; 4 is first of T2. In U1,
	// 3 leads, then 1, then 4.
	want := map[int64][2]int{2: {1, 1}, 3: {1, 1}, 1: {3, 2}, 4: {1, 3}}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("cadre %d ranks %v, want %v", id, got[id], w)
		}
	}
	if cards[0].CadreID != 2 || cards[1].CadreID != 3 {
		t.Fatalf("order: %+v", cards)
	}
}

func TestLists(t *testing.T) {
	cards := []Card{
		{CadreID: 1, Measured: true, Score: 95, RankTownship: 1},
		{CadreID: 2, Measured: true, Score: 95, RankTownship: 4},
		{CadreID: 3, Measured: true, Score: 92, RankTownship: 2, Counts: Counts{Contradicted: 1}},
		{CadreID: 4, Measured: true, Score: 59.9, RankTownship: 9},
		{CadreID: 5, Measured: false, Score: 0, RankTownship: 10},
	}
	awards, lagging := Lists(cards)
	if len(awards) != 1 || awards[0].CadreID != 1 {
		t.Fatalf("awards: %+v", awards)
	}
	if len(lagging) != 2 || lagging[0].CadreID != 3 || lagging[1].CadreID != 4 {
		t.Fatalf("lagging: %+v", lagging)
	}
}
