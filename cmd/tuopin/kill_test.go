package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/store"
)

// TestKillDuringVisits starts the real server on SQLite, streams visits
// to it from four clients, kills it with SIGKILL mid-stream, and then
// finds every acknowledged visit stored, the board's kept counts equal to
// a recount and the audit chain intact; the server starts again on the
// same file.
func TestKillDuringVisits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tuopin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "kill.db")
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--db", db)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	cli("demo", "--households", "400", "--months", "1")
	cli("user", "add", "--username", "k", "--password", "kill-test-pass", "--role", "county_admin", "--area", "530627")
	words := strings.Fields(cli("token", "create", "--user", "k"))
	tok := words[len(words)-1] // the token is printed last

	start := func() (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				return cmd, "http://" + addr
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatal("the server did not start")
		return nil, ""
	}
	cmd, base := start()

	var mu sync.Mutex
	var acked []int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	today := time.Now().Format("2006-01-02")
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				hh := 1 + (c*97+i*13)%400
				body, _ := json.Marshal(map[string]any{"household_id": hh, "date": today, "kind": "in_person", "no_problem": i%2 == 0,
					"facts": map[string]any{"water_litres": 30 + i%40, "housing_grade": []string{"A", "B", "C"}[i%3]}})
				req, _ := http.NewRequest("POST", base+"/api/v1/visits", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					select {
					case <-stop:
					default:
						if !strings.Contains(err.Error(), "refused") && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
							t.Errorf("visit: %v", err)
						}
					}
					return // the server is gone
				}
				var out struct {
					Visit struct {
						ID int64 `json:"id"`
					} `json:"visit"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated && err == nil {
					mu.Lock()
					acked = append(acked, out.Visit.ID)
					mu.Unlock()
				} else if resp.StatusCode != http.StatusCreated {
					t.Errorf("visit answered %d", resp.StatusCode)
					return
				}
			}
		}(c)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d visits acknowledged before the kill", len(acked))
	}

	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var missing []int64
	for _, id := range acked {
		if v, err := s.Visit(ctx, auth.System("t"), id); err != nil || v.ID != id {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged visits lost: %v", len(missing), len(acked), missing[:min(10, len(missing))])
	}
	if diffs, err := s.CheckBoard(ctx); err != nil || len(diffs) != 0 {
		t.Fatalf("board check after the kill: %+v %v", diffs, err)
	}
	if n, bad, err := s.VerifyAudit(ctx); bad != nil || err != nil {
		t.Fatalf("audit after the kill (%d entries): %+v %v", n, bad, err)
	}
	s.Close()
	fmt.Fprintf(os.Stderr, "kill test: %d visits acknowledged, all stored\n", len(acked))

	// The server starts again on the same file and answers.
	cmd, base = start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	req, _ := http.NewRequest("GET", base+"/api/v1/board?area=530627", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("board after restart: %v %v", resp, err)
	}
	resp.Body.Close()
}
