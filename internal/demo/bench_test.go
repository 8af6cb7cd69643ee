package demo

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"tuopin/internal/division"
	"tuopin/internal/store"
)

// BenchmarkGenerate measures household generation alone.
func BenchmarkGenerate(b *testing.B) {
	g := New(division.MustBuiltin(), division.Zhenxiong, 1, now)
	for b.Loop() {
		g.Household()
	}
}

// BenchmarkLoad250k writes a demo county of 250,000 households into
// SQLite (issue 2's target: at most 30 s). Run with -benchtime=1x.
func BenchmarkLoad250k(b *testing.B) { benchLoad(b, 250000, 0) }

// BenchmarkLoad20k is the same at 20,000 households, for quick runs.
func BenchmarkLoad20k(b *testing.B) { benchLoad(b, 20000, 0) }

// BenchmarkYear250k writes a demo county of 250,000 households with
// twelve months of history (issue 4's target: at most 3 minutes) and
// reports the seconds. Run with -benchtime=1x -timeout 30m.
func BenchmarkYear250k(b *testing.B) { benchLoad(b, 250000, 12) }

// BenchmarkYear20k is the same at 20,000 households, for quick runs.
func BenchmarkYear20k(b *testing.B) { benchLoad(b, 20000, 12) }

func benchLoad(b *testing.B, n, months int) {
	for b.Loop() {
		b.StopTimer()
		s, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "d.db"), func() time.Time { return now })
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := Load(context.Background(), s, Options{Households: n, Seed: 1, Months: months})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(res.Households)/res.Elapsed.Seconds(), "households/s")
		b.ReportMetric(res.Elapsed.Seconds(), "s")
		s.Close()
		b.StartTimer()
	}
}
