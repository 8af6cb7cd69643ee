package app

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
)

// BenchmarkHouseholdListVillage loads a 250,000-household demo county and
// measures the household list of one village through the JSON API and
// the HTML page over loopback, reporting p50 and p95 (target p95 ≤ 20 ms).
// Run: go test -run '^$' -bench HouseholdListVillage -benchtime 1x ./internal/app/
func BenchmarkHouseholdListVillage(b *testing.B) {
	m := &Main{}
	if err := m.Run(context.Background(), Config{DB: filepath.Join(b.TempDir(), "b.db"), Addr: "127.0.0.1:0", Now: func() time.Time { return now }, Migrate: true}); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := demo.Load(context.Background(), m.Store, demo.Options{Households: 250000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Store.AddUser(context.Background(), "bench", "bench-password", auth.CountyAdmin, division.Zhenxiong); err != nil {
		b.Fatal(err)
	}
	tok, _ := m.Store.CreateToken(context.Background(), "bench")
	village := division.MustBuiltin().Villages(division.Zhenxiong)[7].Code
	base := "http://" + m.Addr
	for b.Loop() {
		for _, tc := range []struct{ name, url string }{
			{"api", base + "/api/v1/households?area=" + village},
			{"api-page5", base + "/api/v1/households?area=" + village + "&page=5"},
			{"page", base + "/households?area=" + village},
		} {
			var ds []time.Duration
			for i := 0; i < 300; i++ {
				ds = append(ds, timedGet(b, tc.url, tok))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, tc.name+"-p50-ms")
			b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds())/1000, tc.name+"-p95-ms")
		}
	}
}
