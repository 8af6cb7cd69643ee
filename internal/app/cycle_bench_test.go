package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/store"
)

// benchCounty opens a server on a demo county of n households with months
// of history. With TUOPIN_BENCH_DB=PATH the county is kept in PATH and
// reused by later runs (a 250,000-household year takes minutes to make).
func benchCounty(b *testing.B, n, months int) (*Main, string) {
	b.Helper()
	path := os.Getenv("TUOPIN_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "b.db")
	} else {
		path = fmt.Sprintf("%s.%d-%d", path, n, months)
	}
	m := &Main{}
	if err := m.Run(context.Background(), Config{DB: path, Addr: "127.0.0.1:0", Now: func() time.Time { return now }, Migrate: true}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	ctx := context.Background()
	if have, _, err := m.Store.Counts(ctx); err != nil {
		b.Fatal(err)
	} else if have == 0 {
		start := time.Now()
		if _, err := demo.Load(ctx, m.Store, demo.Options{Households: n, Seed: 1, Months: months}); err != nil {
			b.Fatal(err)
		}
		b.Logf("demo county of %d households with %d months: %.1f s", n, months, time.Since(start).Seconds())
	}
	if _, err := m.Store.UserByName(ctx, "bench"); err != nil {
		if _, err := m.Store.AddUser(ctx, "bench", "bench-password", auth.CountyAdmin, division.Zhenxiong); err != nil {
			b.Fatal(err)
		}
	}
	tok, err := m.Store.CreateToken(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return m, tok
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func quantile(ds []time.Duration, q float64) float64 {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[int(float64(len(ds)-1)*q)].Microseconds()) / 1000
}

// BenchmarkVisitSubmit submits visits through the API to a county with a
// year of history (250,000 households unless TUOPIN_BENCH_HOUSEHOLDS says
// otherwise): each one writes the visit and the facts it changed with
// history, re-assesses the household, moves its shortfall items and the
// board, appends to the audit chain, and answers with the new findings.
// It reports p50 and p95 of 500 visits one after another (target p95 ≤
// 20 ms) and the rate of 2,000 visits from four clients at once (target
// ≥ 500/s).
// Run: TUOPIN_BENCH_DB=/tmp/bench go test -run '^$' -bench VisitSubmit -benchtime 1x -timeout 60m ./internal/app/
func BenchmarkVisitSubmit(b *testing.B) {
	n := envInt("TUOPIN_BENCH_HOUSEHOLDS", 250000)
	m, tok := benchCounty(b, n, envInt("TUOPIN_BENCH_MONTHS", 12))
	url := "http://" + m.Addr + "/api/v1/visits"
	rng := rand.New(rand.NewPCG(7, 7))
	visit := func(client *http.Client, rng *rand.Rand) time.Duration {
		// Facts that move rules both ways, so items open and resolve.
		body, _ := json.Marshal(map[string]any{"household_id": 1 + rng.IntN(n), "date": "2026-11-28", "kind": "in_person", "no_problem": rng.IntN(2) == 0,
			"facts": map[string]any{"water_litres": 20 + rng.IntN(60), "housing_grade": []string{"A", "B", "C"}[rng.IntN(3)], "food_secure": rng.IntN(10) > 0}})
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("visit: %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	for b.Loop() {
		var ds []time.Duration
		for i := 0; i < 500; i++ {
			ds = append(ds, visit(http.DefaultClient, rng))
		}
		b.ReportMetric(quantile(ds, 0.5), "p50-ms")
		b.ReportMetric(quantile(ds, 0.95), "p95-ms")

		const total, clients = 2000, 4
		var wg sync.WaitGroup
		start := time.Now()
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(c), 11))
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				for i := 0; i < total/clients; i++ {
					visit(client, r)
				}
			}(c)
		}
		wg.Wait()
		b.ReportMetric(total/time.Since(start).Seconds(), "visits/s")
	}
	// The kept counts still match a recount after all that.
	if diffs, err := m.Store.CheckBoard(context.Background()); err != nil || len(diffs) != 0 {
		b.Fatalf("board check: %d differences %v", len(diffs), err)
	}
}

// BenchmarkBoard reads the 清零 board of the county and of one village
// through the API, 300 times each, on a county of 25,000 households and
// one of TUOPIN_BENCH_BIG households (1,000,000 for the closing figures;
// 100,000 by default), each with TUOPIN_BENCH_MONTHS of history (3 by
// default), and reports p50 and p95 (target ≤ 20 ms, flat in size).
// Run: TUOPIN_BENCH_DB=/tmp/bench TUOPIN_BENCH_BIG=1000000 go test -run '^$' -bench Board -benchtime 1x -timeout 120m ./internal/app/
func BenchmarkBoard(b *testing.B) {
	months := envInt("TUOPIN_BENCH_MONTHS", 3)
	village := division.MustBuiltin().Villages(division.Zhenxiong)[7].Code
	for _, n := range []int{25000, envInt("TUOPIN_BENCH_BIG", 100000)} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m, tok := benchCounty(b, n, months)
			for b.Loop() {
				for _, tc := range []struct{ name, area string }{{"county", division.Zhenxiong}, {"village", village}} {
					var ds []time.Duration
					for i := 0; i < 300; i++ {
						ds = append(ds, timedGet(b, "http://"+m.Addr+"/api/v1/board?period=2026-11&area="+tc.area, tok))
					}
					b.ReportMetric(quantile(ds, 0.5), tc.name+"-p50-ms")
					b.ReportMetric(quantile(ds, 0.95), tc.name+"-p95-ms")
				}
			}
		})
	}
}

// timedGet fetches url with the bearer token and returns how long the
// whole answer took; anything but 200 fails the benchmark.
func timedGet(b *testing.B, url, tok string) time.Duration {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d", url, resp.StatusCode)
	}
	return time.Since(start)
}

// BenchmarkPages signs in as the county office and requests each main
// page 100 times over loopback on a county of 250,000 households with a
// year of history (TUOPIN_BENCH_HOUSEHOLDS and _MONTHS change it),
// reporting each page's p95 (target ≤ 50 ms). It also reports the bytes
// the board's first load transfers with gzip: the page and every script
// and style it names (target ≤ 400 KB).
// Run: TUOPIN_BENCH_DB=/tmp/bench go test -run '^$' -bench Pages -benchtime 1x -timeout 60m ./internal/app/
func BenchmarkPages(b *testing.B) {
	n := envInt("TUOPIN_BENCH_HOUSEHOLDS", 250000)
	m, _ := benchCounty(b, n, envInt("TUOPIN_BENCH_MONTHS", 12))
	ctx := context.Background()
	base := "http://" + m.Addr
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/login", url.Values{"username": {"bench"}, "password": {"bench-password"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in: %v %v", resp, err)
	}
	resp.Body.Close()
	tab := division.MustBuiltin()
	town := tab.Children(division.Zhenxiong)[3].Code
	village := tab.Children(town)[0].Code
	hs, _, err := m.Store.ListHouseholds(ctx, auth.System("bench"), store.HouseholdFilter{Area: village, PageSize: 1})
	if err != nil || len(hs) == 0 {
		b.Fatalf("no household in %s: %v", village, err)
	}
	hh := "/households/" + strconv.FormatInt(hs[0].ID, 10)
	pages := []string{"/", "/board", "/board?area=" + town, "/board?area=" + village, "/households?area=" + village, hh, hh + "/visit", hh + "/card",
		"/shortfalls?status=active", "/cases", "/exit?area=" + village, "/exit?area=" + town, "/exit", "/mpi?area=" + town, "/mpi", "/rules"}
	get := func(path string, gzip bool) (time.Duration, []byte, int) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start), body, len(body)
	}
	for b.Loop() {
		worst := 0.0
		for _, p := range pages {
			var ds []time.Duration
			for i := 0; i < 100; i++ {
				d, _, _ := get(p, false)
				ds = append(ds, d)
			}
			q := quantile(ds, 0.95)
			worst = max(worst, q)
			b.Logf("%-40s p50 %6.2f ms  p95 %6.2f ms", p, quantile(ds, 0.5), q)
		}
		b.ReportMetric(worst, "worst-p95-ms")
		// The board's first load: the page, then each file it names.
		_, html, size := get("/board", true)
		total := size
		for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllSubmatch(html, -1) {
			_, _, n := get(string(m[1]), true)
			total += n
		}
		b.ReportMetric(float64(total)/1024, "board-first-load-KB")
	}
}

// BenchmarkScorecards scores every cadre of a 250,000-household county
// with a year of history for last month (target ≤ 5 s), then reports the
// p95 of the scorecards of a township through the API and of the county's
// scorecard page (target ≤ 50 ms).
// Run: TUOPIN_BENCH_DB=/tmp/bench go test -run '^$' -bench Scorecards -benchtime 1x -timeout 60m ./internal/app/
func BenchmarkScorecards(b *testing.B) {
	n := envInt("TUOPIN_BENCH_HOUSEHOLDS", 250000)
	m, tok := benchCounty(b, n, envInt("TUOPIN_BENCH_MONTHS", 12))
	town := division.MustBuiltin().Children(division.Zhenxiong)[3].Code
	for b.Loop() {
		d := timedGet(b, "http://"+m.Addr+"/api/v1/scorecards?period=2026-10", tok)
		b.ReportMetric(d.Seconds(), "county-s")
		var ds []time.Duration
		for i := 0; i < 100; i++ {
			ds = append(ds, timedGet(b, "http://"+m.Addr+"/api/v1/scorecards?period=2026-10&area="+town, tok))
		}
		b.ReportMetric(quantile(ds, 0.5), "township-api-p50-ms")
		b.ReportMetric(quantile(ds, 0.95), "township-api-p95-ms")
		ds = ds[:0]
		for i := 0; i < 100; i++ {
			ds = append(ds, timedGet(b, "http://"+m.Addr+"/scorecards?period=2026-10", tok))
		}
		b.ReportMetric(quantile(ds, 0.5), "page-p50-ms")
		b.ReportMetric(quantile(ds, 0.95), "page-p95-ms")
	}
}
