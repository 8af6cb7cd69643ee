package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuopin/internal/auth"
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

func TestAssessmentCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	code, out, errs := run(t, "demo", "--db", db, "--households", "200", "--seed", "5", "--months", "0")
	if code != 0 || !strings.Contains(out, "研判 assessed") {
		t.Fatalf("demo: %d %s %s", code, out, errs)
	}
	// A past month: assessed the first time, replayed the second.
	now := time.Now()
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	if code, out, errs := run(t, "assess", "--db", db, "--period", last); code != 0 || !strings.Contains(out, "200 户") {
		t.Fatalf("assess: %d %s %s", code, out, errs)
	}
	if code, out, errs := run(t, "assess", "--db", db, "--period", last); code != 0 || !strings.Contains(out, "1000 相同 identical") {
		t.Fatalf("replay: %d %s %s", code, out, errs)
	}
	code, out, errs = run(t, "explain", "1", "--db", db, "--json")
	var ex struct {
		Sets []struct {
			Code  string
			Rules []struct{ Inputs []map[string]any }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil || len(ex.Sets) != 5 || len(ex.Sets[1].Rules[0].Inputs) == 0 {
		t.Fatalf("explain: %d %s %s", code, out, errs)
	}
	if code, out, _ := run(t, "explain", "1", "--db", db); code != 0 || !strings.Contains(out, "exit-2016 v1") || !strings.Contains(out, "income_line=") {
		t.Fatalf("explain text: %s", out)
	}
	code, out, _ = run(t, "exit-report", "--db", db, "--area", "530627", "--json")
	var rep struct {
		Rows []map[string]any
		Area map[string]any
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Rows) != 30 || rep.Area["approval"] != nil {
		t.Fatalf("exit-report: %d %s", code, out)
	}
	if code, out, _ := run(t, "exit-report", "--db", db, "--area", "530627"); code != 0 || !strings.Contains(out, "贫困发生率") || !strings.Contains(out, "无数据") {
		t.Fatalf("exit-report text: %s", out)
	}
	if code, out, _ := run(t, "mpi", "--db", db, "--area", "530627", "--json"); code != 0 || !strings.Contains(out, `"H":`) || !strings.Contains(out, `"M0":`) {
		t.Fatalf("mpi: %s", out)
	}
	code, _, errs = run(t, "rules", "preview", "--db", db, "persons >")
	if code != 1 || !strings.Contains(errs, "第1行") || !strings.Contains(errs, "line 1") {
		t.Fatalf("bad preview: %d %s", code, errs)
	}
	if code, out, _ := run(t, "rules", "preview", "--db", db, "--area", "530627001", "status == 'exited'"); code != 0 || !strings.Contains(out, "match") {
		t.Fatalf("preview: %s", out)
	}
	if code, out, _ := run(t, "rules", "list", "--db", db); code != 0 || !strings.Contains(out, "exit-2016") || !strings.Contains(out, "mpi-china") {
		t.Fatalf("rules list: %s", out)
	}
	// Saving a changed copy of a set makes version 2.
	code, out, _ = run(t, "rules", "show", "exit-2016", "--db", db)
	var rs map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil {
		t.Fatalf("rules show: %s", out)
	}
	for _, k := range []string{"id", "version", "used", "created_at", "created_by"} {
		delete(rs, k)
	}
	rs["effective_to"] = "2030-12-31"
	b, _ := json.Marshal(rs)
	file := filepath.Join(dir, "exit.json")
	os.WriteFile(file, b, 0o644)
	if code, out, errs := run(t, "rules", "save", file, "--db", db); code != 0 || !strings.Contains(out, "exit-2016 v2") {
		t.Fatalf("rules save: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "params", "set", "--db", db, "--kind", "poverty_line", "--year", "2026", "--value", "1"); code != 1 || !strings.Contains(errs, "kind") {
		t.Fatalf("bad param: %d %s", code, errs)
	}
	if code, out, _ := run(t, "params", "list", "--db", db); code != 0 || !strings.Contains(out, "exit_income_line") {
		t.Fatalf("params list: %s", out)
	}
	pop := filepath.Join(dir, "pop.csv")
	os.WriteFile(pop, []byte("village_code,year,rural_population\n530627001001,2026,5000\n530627999999,2026,10\n"), 0o644)
	if code, _, errs := run(t, "population", "import", pop, "--db", db); code != 1 || !strings.Contains(errs, "第3行") {
		t.Fatalf("bad population: %d %s", code, errs)
	}
	os.WriteFile(pop, []byte("530627001001,2026,5000\n"), 0o644)
	if code, out, _ := run(t, "population", "import", pop, "--db", db); code != 0 || !strings.Contains(out, "1 村") {
		t.Fatalf("population: %s", out)
	}
	// A visit from the command line updates the facts and re-assesses.
	code, out, errs = run(t, "visit", "add", "--db", db, "--household", "1", "--kind", "phone", "--facts", `{"housing_grade":"D","relocation":"none"}`)
	if code != 0 || !strings.Contains(out, "visit recorded") {
		t.Fatalf("visit add: %d %s %s", code, out, errs)
	}
	if code, out, _ := run(t, "explain", "1", "--db", db); code != 0 || !strings.Contains(out, "housing_grade=\"D\"") {
		t.Fatalf("explain after visit: %s", out)
	}
	if code, _, errs := run(t, "visit", "add", "--db", db, "--household", "1", "--facts", `{"housing":"D"}`); code != 1 || !strings.Contains(errs, "facts") {
		t.Fatalf("bad facts: %d %s", code, errs)
	}
	if code, out, _ := run(t, "visit", "coverage", "--db", db, "--area", "530627"); code != 0 || !strings.Contains(out, "visit coverage") {
		t.Fatalf("coverage: %s", out)
	}
	if code, out, _ := run(t, "sample", "draw", "--db", db, "--area", "530627001", "--per-village", "2", "--seed", "9"); code != 0 || !strings.Contains(out, "抽查 sample") {
		t.Fatalf("sample draw: %s", out)
	}
	// A department's file: a bad row writes nothing and is named; then
	// the good row opens a lead.
	st, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.GetHousehold(context.Background(), auth.System("t"), 2)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	alerts := filepath.Join(dir, "医保.csv")
	os.WriteFile(alerts, []byte("身份证号,风险类型,说明\n"+h.Members[0].IDNumber+",因病,住院\n530627198001010011,因病,\n"), 0o644)
	if code, _, errs := run(t, "monitor", "alerts", alerts, "--db", db, "--department", "县医保局"); code != 1 || !strings.Contains(errs, "第3行") {
		t.Fatalf("alerts with a bad row: %d %s", code, errs)
	}
	os.WriteFile(alerts, []byte("身份证号,风险类型,说明\n"+h.Members[0].IDNumber+",因病,住院\n"), 0o644)
	if code, out, errs := run(t, "monitor", "alerts", alerts, "--db", db, "--department", "县医保局"); code != 0 || !strings.Contains(out, "1 新线索") {
		t.Fatalf("alerts: %d %s %s", code, out, errs)
	}
	if code, out, _ := run(t, "monitor", "list", "--db", db); code != 0 || !strings.Contains(out, "部门筛查预警") {
		t.Fatalf("monitor list: %s", out)
	}
	if code, out, _ := run(t, "board", "--db", db, "--area", "530627"); code != 0 || !strings.Contains(out, "housing") {
		t.Fatalf("board: %s", out)
	}
	if code, out, errs := run(t, "board", "check", "--db", db); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("board check: %d %s %s", code, out, errs)
	}
	// Every write above is in the audit log; altering one is caught.
	if code, out, errs := run(t, "audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %d %s %s", code, out, errs)
	}
	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetVillagePopulation(context.Background(), store.VillagePopulation{Village: "530627001001", Year: 2026, Population: 1})
	s.Close()
	raw, _ := sql.Open("sqlite", db)
	if _, err := raw.Exec(`UPDATE changes SET actor = 'someone else' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if code, _, errs := run(t, "audit", "verify", "--db", db); code != 1 || !strings.Contains(errs, "3") || !strings.Contains(errs, "altered") {
		t.Fatalf("tampered log: %d %s", code, errs)
	}
}
