package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tuopin/internal/store"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cli.db")
	if code, out, errs := run(t, "demo", "--db", db, "--households", "300", "--seed", "4"); code != 0 || !strings.Contains(out, "300 户") {
		t.Fatalf("demo: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "user", "add", "--db", db, "--username", "zhang", "--password", "secret-pass", "--role", "township_officer", "--area", "530627001"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	code, _, errs := run(t, "user", "add", "--db", db, "--username", "bad", "--password", "x", "--role", "king", "--area", "1")
	if code != 1 || !strings.Contains(errs, "角色无效") || !strings.Contains(errs, "not a valid role") {
		t.Fatalf("bad user: %d %s", code, errs)
	}
	code, out, _ := run(t, "token", "create", "--db", db, "--user", "zhang")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	tok := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(tok, "tpt_") {
		t.Fatalf("token: %q", out)
	}
	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Authenticate(context.Background(), tok)
	s.Close()
	if err != nil || u.Username != "zhang" {
		t.Fatalf("printed token does not authenticate: %v", err)
	}
	tpl := filepath.Join(dir, "t.xlsx")
	if code, _, errs := run(t, "import", "template", tpl); code != 0 {
		t.Fatalf("template: %s", errs)
	}
	// Export, then import the export into a new database: same county.
	csv := filepath.Join(dir, "export.csv")
	if code, out, errs := run(t, "export", "households", csv, "--db", db); code != 0 || !strings.Contains(out, "300") {
		t.Fatalf("export: %s %s", out, errs)
	}
	db2 := filepath.Join(dir, "cli2.db")
	code, out, errs = run(t, "import", "households", csv, "--db", db2)
	if code != 0 || !strings.Contains(out, "新增 300") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	code, out, _ = run(t, "import", "households", csv, "--db", db2)
	if code != 0 || !strings.Contains(out, "未变 300") {
		t.Fatalf("re-import: %s", out)
	}
	// A broken file: exit 1, errors named, report written, nothing stored.
	b, _ := os.ReadFile(csv)
	broken := strings.Replace(string(b), "530627", "5.30627E+17", 1)
	lines = strings.SplitN(string(b), "\n", 3)
	cells := strings.Split(lines[1], ",")
	for i, c := range cells {
		if len(c) == 18 && strings.HasPrefix(c, "530") {
			cells[i] = "5.30627E+17"
		}
	}
	broken = lines[0] + "\n" + strings.Join(cells, ",") + "\n" + lines[2]
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(broken), 0o644)
	rep := filepath.Join(dir, "report.csv")
	db3 := filepath.Join(dir, "cli3.db")
	code, out, errs = run(t, "import", "households", bad, "--db", db3, "--report", rep)
	if code != 1 || !strings.Contains(errs, "第 2 行") || !strings.Contains(out, "未写入任何数据") {
		t.Fatalf("broken import: %d\n%s\n%s", code, out, errs)
	}
	if r, err := os.ReadFile(rep); err != nil || !strings.Contains(string(r), "scientific notation") {
		t.Fatalf("report: %v", err)
	}
	if code, _, _ := run(t, "nonsense"); code != 2 {
		t.Fatal("unknown command accepted")
	}
}
