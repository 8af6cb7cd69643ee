package assess_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

// The benchmarks share one demo county of TUOPIN_BENCH_HOUSEHOLDS
// households (default 1,000,000), built once per run in a temporary
// folder that TestMain removes, or kept in TUOPIN_BENCH_DB when that
// names a file (an existing file is reused as it is).
var big struct {
	once sync.Once
	dir  string
	s    *store.Store
	ids  []int64
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if big.s != nil {
		big.s.Close()
	}
	if big.dir != "" && os.Getenv("TUOPIN_BENCH_DB") == "" {
		os.RemoveAll(big.dir)
	}
	os.Exit(code)
}

func bigStore(b *testing.B) *store.Store {
	big.once.Do(func() {
		n := 1_000_000
		if v, err := strconv.Atoi(os.Getenv("TUOPIN_BENCH_HOUSEHOLDS")); err == nil && v > 0 {
			n = v
		}
		path := os.Getenv("TUOPIN_BENCH_DB")
		if path == "" {
			if big.dir, big.err = os.MkdirTemp("", "tuopin-bench-"); big.err != nil {
				return
			}
			path = filepath.Join(big.dir, "big.db")
		}
		_, statErr := os.Stat(path)
		now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		big.s, big.err = store.Open(context.Background(), path, func() time.Time { return now })
		if big.err != nil {
			return
		}
		if big.err = big.s.Migrate(context.Background()); big.err != nil {
			return
		}
		if statErr != nil {
			start := time.Now()
			if _, big.err = demo.Load(context.Background(), big.s, demo.Options{Households: n, Seed: 9}); big.err != nil {
				return
			}
			b.Logf("demo county of %d households built in %.1f s", n, time.Since(start).Seconds())
		}
		hs, _, _ := big.s.ListHouseholds(context.Background(), auth.System("b"), store.HouseholdFilter{PageSize: 500})
		for _, h := range hs {
			big.ids = append(big.ids, h.ID)
		}
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	return big.s
}

var benchPeriod = policy.Period{Year: 2026, Month: 11}

// freshPeriod is the latest month of 2026 before November that no run
// has assessed yet: each iteration writes a new month's findings, as the
// monthly assessment does (the facts, and so the snapshots, mostly
// carry over from the month before).
func freshPeriod(b *testing.B, s *store.Store) policy.Period {
	year := 2026
	if y, err := strconv.Atoi(os.Getenv("TUOPIN_BENCH_YEAR")); err == nil {
		year = y // another year's facts differ (period_year): every snapshot is new
	}
	for m := 12; m >= 1; m-- {
		p := policy.Period{Year: year, Month: m}
		if p.String() >= benchPeriod.String() {
			continue
		}
		runs, err := s.Runs(context.Background(), p.String())
		if err != nil {
			b.Fatal(err)
		}
		if len(runs) == 0 {
			return p
		}
	}
	b.Fatal("every month of 2026 is assessed: remove TUOPIN_BENCH_DB")
	return policy.Period{}
}

func benchAssess(b *testing.B, judge func(*policy.Compiled, *policy.Frame, int) (uint64, uint64)) {
	s := bigStore(b)
	a := assess.New(s)
	// The first run fills November, the month the county was built in:
	// every snapshot is new. Later runs are new months.
	first := true
	if runs, _ := s.Runs(context.Background(), benchPeriod.String()); len(runs) > 0 {
		first = false
	}
	b.ResetTimer()
	var n int
	for b.Loop() {
		p := benchPeriod
		if !first {
			b.StopTimer()
			p = freshPeriod(b, s)
			b.StartTimer()
		}
		wasFirst := first
		first = false
		start := time.Now()
		run, err := a.Period(context.Background(), auth.System("bench"), p, assess.Options{Sets: []string{"exit-2016"}, Judge: judge})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s (first month: %v): %d households in %.2f s", p, wasFirst, run.Households, time.Since(start).Seconds())
		n = run.Households
	}
	b.ReportMetric(float64(n), "households")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "households/s")
}

// BenchmarkAssessExit runs the full assessment with the exit rule set in
// CEL, findings and snapshots written.
func BenchmarkAssessExit(b *testing.B) { benchAssess(b, nil) }

// BenchmarkAssessExitGo is the same run with the rules written in Go.
func BenchmarkAssessExitGo(b *testing.B) {
	benchAssess(b, func(c *policy.Compiled, f *policy.Frame, r int) (uint64, uint64) {
		return policy.HandwrittenExit(f, r), 0
	})
}

// BenchmarkPreview judges an expression over every household in memory;
// the cache is built before the timer starts (its build time is reported).
func BenchmarkPreview(b *testing.B) {
	s := bigStore(b)
	a := assess.New(s)
	start := time.Now()
	if _, err := a.Preview(context.Background(), auth.System("bench"), "true"); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	b.ResetTimer()
	var p *assess.Preview
	for b.Loop() {
		var err error
		start := time.Now()
		p, err = a.Preview(context.Background(), auth.System("bench"), "per_capita_income < monitoring_line && status == 'exited' && members_without_medical == 0")
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("preview: %.3f s", time.Since(start).Seconds())
	}
	b.ReportMetric(float64(p.Households), "households")
	b.ReportMetric(float64(p.Matches), "matches")
	b.ReportMetric(build.Seconds(), "cache-build-s")
}

// BenchmarkMPI measures the global MPI of the county and its townships
// from stored findings.
func BenchmarkMPI(b *testing.B) {
	s := bigStore(b)
	a := assess.New(s)
	if runs, _ := s.Runs(context.Background(), benchPeriod.String()); !hasMPI(s, runs) {
		if _, err := a.Period(context.Background(), auth.System("bench"), benchPeriod, assess.Options{Sets: []string{"mpi-global"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var m *assess.MPIReport
	for b.Loop() {
		var err error
		start := time.Now()
		if m, err = a.MPI(context.Background(), auth.System("bench"), "530627", "2026-11", "mpi-global", "1/3"); err != nil {
			b.Fatal(err)
		}
		b.Logf("mpi: %.3f s", time.Since(start).Seconds())
	}
	b.ReportMetric(float64(m.Households), "households")
	b.ReportMetric(m.M0, "M0")
}

// BenchmarkReassessOne re-assesses single households one after another,
// as the API does after a change, and reports the median and p95.
func BenchmarkReassessOne(b *testing.B) {
	s := bigStore(b)
	a := assess.New(s)
	rng := rand.New(rand.NewPCG(1, 2))
	if err := a.Household(context.Background(), big.ids[0]); err != nil { // compile once
		b.Fatal(err)
	}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		id := big.ids[rng.IntN(len(big.ids))]
		start := time.Now()
		if err := a.Household(context.Background(), id); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

// hasMPI reports whether one of the runs assessed the global MPI set.
func hasMPI(s *store.Store, runs []store.Run) bool {
	sets, err := s.RuleSets(context.Background(), false)
	if err != nil {
		return false
	}
	for _, rs := range sets {
		if rs.Code != "mpi-global" {
			continue
		}
		for _, r := range runs {
			if r.Kind == "full" && r.RuleSets == strconv.FormatInt(rs.ID, 10) {
				return true
			}
		}
	}
	return false
}

// BenchmarkAssessCELvsGo times the full run with the CEL rules and with
// the same rules written in Go, alternating which goes first, each on a
// month not yet assessed, and reports the median of each and their ratio.
func BenchmarkAssessCELvsGo(b *testing.B) {
	s := bigStore(b)
	a := assess.New(s)
	goJudge := func(c *policy.Compiled, f *policy.Frame, r int) (uint64, uint64) {
		return policy.HandwrittenExit(f, r), 0
	}
	var cel, gos []float64
	run := func(judge func(*policy.Compiled, *policy.Frame, int) (uint64, uint64)) float64 {
		b.StopTimer()
		p := freshPeriod(b, s)
		b.StartTimer()
		start := time.Now()
		if _, err := a.Period(context.Background(), auth.System("bench"), p, assess.Options{Sets: []string{"exit-2016"}, Judge: judge}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start).Seconds()
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			cel = append(cel, run(nil))
			gos = append(gos, run(goJudge))
		} else {
			gos = append(gos, run(goJudge))
			cel = append(cel, run(nil))
		}
		b.Logf("pair %d: CEL %.2f s, Go %.2f s", i, cel[len(cel)-1], gos[len(gos)-1])
		i++
	}
	slices.Sort(cel)
	slices.Sort(gos)
	b.ReportMetric(cel[len(cel)/2], "cel-s")
	b.ReportMetric(gos[len(gos)/2], "go-s")
	b.ReportMetric(cel[len(cel)/2]/gos[len(gos)/2], "cel/go")
}
