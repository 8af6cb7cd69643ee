package importer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// writeRoster generates n demo households into a roster file (CSV or
// xlsx by extension) and returns its path and member count.
func writeRoster(b *testing.B, n int, ext string) (string, int) {
	b.Helper()
	g := demo.New(division.MustBuiltin(), division.Zhenxiong, 1, now)
	path := filepath.Join(b.TempDir(), "roster"+ext)
	members := 0
	if ext == ".xlsx" {
		x, err := NewXLSXWriter()
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			h := g.Household()
			members += len(h.Members)
			x.Write(&h)
		}
		if err := x.SaveAs(path); err != nil {
			b.Fatal(err)
		}
		return path, members
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, _ := NewCSVWriter(f)
	for i := 0; i < n; i++ {
		h := g.Household()
		members += len(h.Members)
		w.Write(&h)
	}
	w.Close()
	f.Close()
	return path, members
}

// peakHeap samples the in-use heap while fn runs and returns the peak
// above what was in use before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
					peak.Store(m.HeapInuse - base)
				}
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

// plainInsert writes the same households with the bulk writer alone: no
// file parsing, no validation. It is the yardstick import is measured
// against.
func plainInsert(b *testing.B, s *store.Store, n int) time.Duration {
	g := demo.New(division.MustBuiltin(), division.Zhenxiong, 1, now)
	hs := make([]registry.Household, n)
	for i := range hs {
		hs[i] = g.Household()
	}
	start := time.Now()
	bulk, err := s.BeginBulk(context.Background(), admin)
	if err != nil {
		b.Fatal(err)
	}
	for i := range hs {
		if err := bulk.AddHousehold(&hs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := bulk.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkImportCSV1M imports about 1,000,000 members (250,000
// households) from CSV into SQLite and, in the same run, inserts the same
// rows with plain batched INSERTs. Reported: import seconds, plain
// seconds, their ratio (plain/import, target ≥ 0.5) and the peak heap.
// Run: go test -run '^$' -bench ImportCSV1M -benchtime 1x ./internal/importer/
func BenchmarkImportCSV1M(b *testing.B) { benchImport(b, 250000, ".csv", true) }

// BenchmarkImportXLSX100k imports about 100,000 members from .xlsx.
func BenchmarkImportXLSX100k(b *testing.B) { benchImport(b, 25600, ".xlsx", false) }

// BenchmarkImportCSV100k is a quick CSV run of 100,000 members.
func BenchmarkImportCSV100k(b *testing.B) { benchImport(b, 25600, ".csv", true) }

func benchImport(b *testing.B, households int, ext string, withPlain bool) {
	path, members := writeRoster(b, households, ext)
	var importS, plainS []float64
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		s := openStore(b)
		b.StartTimer()
		var res Result
		var err error
		p := peakHeap(func() {
			res, err = Import(context.Background(), s, path, Options{Actor: admin})
		})
		b.StopTimer()
		if err != nil || !res.Committed {
			b.Fatalf("import: %v %d errors", err, res.ErrorCount)
		}
		peak = max(peak, p)
		importS = append(importS, res.Elapsed.Seconds())
		if withPlain {
			plainS = append(plainS, plainInsert(b, openStore(b), households).Seconds())
		}
		b.StartTimer()
	}
	med := func(xs []float64) float64 {
		sort.Float64s(xs)
		return xs[len(xs)/2]
	}
	b.ReportMetric(float64(members), "members")
	b.ReportMetric(med(importS), "import-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	if withPlain {
		b.ReportMetric(med(plainS), "plain-insert-s")
		b.ReportMetric(med(plainS)/med(importS), "ratio")
	}
}
