package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
	"tuopin/internal/store"
	"tuopin/internal/store/storetest"
)

var now = storetest.Now

var admin = auth.System("test")

// openStore opens a fresh SQLite store whose clock is now.
func openStore(tb testing.TB) *store.Store { return storetest.OpenSQLite(tb) }

func households(n int, seed uint64) []registry.Household {
	g := demo.New(division.MustBuiltin(), division.Zhenxiong, seed, now)
	out := make([]registry.Household, n)
	for i := range out {
		out[i] = g.Household()
	}
	return out
}

func rosterRows(tb testing.TB, hs []registry.Household) [][]string {
	tb.Helper()
	rows := [][]string{Headers()}
	for i := range hs {
		for j := range hs[i].Members {
			rows = append(rows, Row(&hs[i], j))
		}
	}
	return rows
}

func writeCSV(tb testing.TB, rows [][]string) string {
	tb.Helper()
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(tb.TempDir(), "roster.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func mustImport(tb testing.TB, s *store.Store, path string, o Options) Result {
	tb.Helper()
	if o.Actor.Username == "" {
		o.Actor = admin
	}
	res, err := Import(context.Background(), s, path, o)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func col(field string) int { return fieldIndex(field) }

func TestImportCreatesThenReimportChangesNothing(t *testing.T) {
	s := openStore(t)
	hs := households(120, 3)
	rows := rosterRows(t, hs)
	path := writeCSV(t, rows)
	res := mustImport(t, s, path, Options{})
	if res.ErrorCount != 0 {
		t.Fatalf("errors: %+v", res.Errors[:min(5, len(res.Errors))])
	}
	if !res.Committed || res.Created != 120 || res.Households != 120 || res.Rows != len(rows)-1 {
		t.Fatalf("result %+v", res)
	}
	nh, nm, _ := s.Counts(context.Background())
	if nh != 120 || nm != len(rows)-1 {
		t.Fatalf("stored %d households %d members", nh, nm)
	}
	// A household reads back as it was written.
	list, _, _ := s.ListHouseholds(context.Background(), admin, store.HouseholdFilter{Q: hs[0].Number})
	if len(list) != 1 {
		t.Fatalf("household %s not found", hs[0].Number)
	}
	got, err := s.GetHousehold(context.Background(), admin, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HeadName != hs[0].HeadName || len(got.Members) != len(hs[0].Members) || got.Members[0].IDNumber != hs[0].Members[0].IDNumber ||
		got.WaterLitres != hs[0].WaterLitres || got.Incomes[0].Net != hs[0].Incomes[len(hs[0].Incomes)-1].Net {
		t.Fatalf("read back differs:\n%+v\n%+v", got, hs[0])
	}

	again := mustImport(t, s, path, Options{})
	if again.ErrorCount != 0 || again.Unchanged != 120 || again.Updated != 0 || again.Created != 0 {
		t.Fatalf("re-import: %+v", again)
	}
	after, _ := s.GetHousehold(context.Background(), admin, list[0].ID)
	if after.Version != got.Version || !after.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("re-import touched the household: v%d→v%d", got.Version, after.Version)
	}
	hist, _ := s.History(context.Background(), admin, list[0].ID)
	if len(hist) != 0 {
		t.Fatalf("re-import wrote history: %+v", hist)
	}

	// Change one household's phone and drop a member of another.
	rows[1][col("phone")] = "13912345678"
	hist0 := list[0].ID
	var cut int
	for i := 2; i < len(rows); i++ {
		if rows[i][col("number")] == hs[1].Number && rows[i][col("relation")] != "户主" {
			cut = i
			break
		}
	}
	if cut > 0 {
		rows = append(rows[:cut], rows[cut+1:]...)
	}
	res3 := mustImport(t, s, writeCSV(t, rows), Options{})
	wantUpdated := 1
	if cut > 0 {
		wantUpdated = 2
	}
	if res3.ErrorCount != 0 || res3.Updated != wantUpdated || res3.Unchanged != 120-wantUpdated {
		t.Fatalf("changed import: %+v", res3)
	}
	h0, _ := s.GetHousehold(context.Background(), admin, hist0)
	if h0.Phone != "13912345678" || h0.Version != got.Version+1 {
		t.Fatalf("phone not updated: %+v", h0.Phone)
	}
	hist, _ = s.History(context.Background(), admin, hist0)
	if len(hist) != 1 || hist[0].Action != "import_update" || !strings.Contains(hist[0].Before, hs[0].Phone) || !strings.Contains(hist[0].After, "13912345678") {
		t.Fatalf("history: %+v", hist)
	}
	if n, _ := s.ImportJobs(context.Background()); n != 3 {
		t.Fatalf("import jobs = %d", n)
	}
}

// errorRow finds the error for row and field.
func errorFor(res Result, row int, field string) (RowError, bool) {
	for _, e := range res.Errors {
		if e.Row == row && e.Field == field {
			return e, true
		}
	}
	return RowError{}, false
}

func TestImportWithErrorsWritesNothing(t *testing.T) {
	s := openStore(t)
	// Store a household first: its ID numbers are then taken.
	first := households(5, 11)
	if res := mustImport(t, s, writeCSV(t, rosterRows(t, first)), Options{}); !res.Committed {
		t.Fatalf("setup import: %+v", res.Errors)
	}
	hs := households(30, 12)
	rows := rosterRows(t, hs)
	// Row numbers in the file are slice index + 1.
	type want struct {
		row   int
		field string
		key   string
	}
	var wants []want
	set := func(i int, field, value, key string) {
		rows[i][col(field)] = value
		wants = append(wants, want{i + 1, field, key})
	}
	id := rows[2][col("id_number")]
	set(2, "id_number", id[:17]+string("0123456789X"[(strings.IndexByte("0123456789X", id[17])+1)%11]), "id.checksum")
	set(3, "id_number", "5.30627E+17", "id.scientific")
	set(4, "id_number", rows[4][col("id_number")][:15]+"000", "id.digits_lost")
	set(5, "id_number", rows[6][col("id_number")], "reason.duplicate_id_file")
	wants[len(wants)-1].row = 7 // the later row is the duplicate
	set(8, "id_number", first[0].Members[0].IDNumber, "reason.duplicate_id_db")
	// Find a head row (household fields live there).
	heads := []int{}
	for i := 1; i < len(rows); i++ {
		if rows[i][col("relation")] == "户主" {
			heads = append(heads, i)
		}
	}
	set(heads[3], "village_code", "530627999999", "reason.division_unknown")
	set(heads[4], "main_cause", "因穷", "reason.enum")
	set(heads[5], "identified_year", "二〇一四", "reason.not_integer")
	set(heads[6], "housing_grade", "", "reason.required")
	sexRow := heads[7]
	if rows[sexRow][col("sex")] == "男" {
		set(sexRow, "sex", "女", "id.sex_mismatch")
	} else {
		set(sexRow, "sex", "男", "id.sex_mismatch")
	}
	// A member row that contradicts its head's household details.
	if heads[8]+1 < len(rows) && rows[heads[8]+1][col("number")] == rows[heads[8]][col("number")] {
		set(heads[8]+1, "status", "返贫", "reason.household_mismatch")
	}
	// A household whose rows are split.
	rows = append(rows, append([]string(nil), rows[heads[9]]...))
	rows[len(rows)-1][col("id_number")] = "530627" + "20100101" + "0017"
	wants = append(wants, want{len(rows), "number", "reason.not_contiguous"})

	nh0, nm0, _ := s.Counts(context.Background())
	res := mustImport(t, s, writeCSV(t, rows), Options{})
	if res.Committed || res.ErrorCount == 0 {
		t.Fatalf("import with errors committed: %+v", res)
	}
	for _, w := range wants {
		e, ok := errorFor(res, w.row, w.field)
		if !ok {
			t.Errorf("no error for row %d field %s; got %v", w.row, w.field, summarize(res))
			continue
		}
		if e.Reason.Key != w.key {
			t.Errorf("row %d %s: reason %s, want %s", w.row, w.field, e.Reason.Key, w.key)
		}
		if e.Column != i18n.T(i18n.ZH, "field."+w.field) {
			t.Errorf("row %d: column %q", w.row, e.Column)
		}
	}
	nh, nm, _ := s.Counts(context.Background())
	if nh != nh0 || nm != nm0 {
		t.Fatalf("a failed import wrote: %d/%d → %d/%d", nh0, nm0, nh, nm)
	}
	if n, _ := s.ImportJobs(context.Background()); n != 1 {
		t.Fatalf("failed import recorded a job")
	}
	// The report names row, column and reason in both languages.
	rep := filepath.Join(t.TempDir(), "report.csv")
	if err := WriteReport(rep, res, ""); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(rep)
	if !strings.Contains(string(b), "身份证号校验位错误") || !strings.Contains(string(b), "check digit is wrong") || !strings.Contains(string(b), ",证件号码,") {
		t.Fatalf("report:\n%s", b)
	}
}

func summarize(res Result) string {
	var parts []string
	for _, e := range res.Errors {
		parts = append(parts, e.Field+"@"+strconv.Itoa(e.Row)+":"+e.Reason.Key)
	}
	return strings.Join(parts, " ")
}

func TestImportDryRunWritesNothing(t *testing.T) {
	s := openStore(t)
	res := mustImport(t, s, writeCSV(t, rosterRows(t, households(10, 5))), Options{DryRun: true})
	if res.ErrorCount != 0 || res.Committed || res.Created != 10 {
		t.Fatalf("%+v", res)
	}
	if nh, _, _ := s.Counts(context.Background()); nh != 0 {
		t.Fatalf("dry run wrote %d households", nh)
	}
}

func TestImportGBK(t *testing.T) {
	s := openStore(t)
	path := writeCSV(t, rosterRows(t, households(10, 6)))
	utf, _ := os.ReadFile(path)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gbk, utf) {
		t.Fatal("GBK encoding did nothing")
	}
	os.WriteFile(path, gbk, 0o644)
	res := mustImport(t, s, path, Options{})
	if res.ErrorCount != 0 || res.Created != 10 {
		t.Fatalf("GBK import: %v", summarize(res))
	}
	list, _, _ := s.ListHouseholds(context.Background(), admin, store.HouseholdFilter{})
	if !strings.ContainsAny(list[0].HeadName, strings.Join(surnamesForTest, "")) {
		t.Fatalf("names garbled: %q", list[0].HeadName)
	}
}

var surnamesForTest = []string{"王", "陈", "李", "张", "刘", "杨", "罗", "周", "赵", "吴", "黄", "朱", "胡", "熊", "邓", "徐", "何", "孙", "高", "马", "蒋", "田", "丁", "谢", "余", "彭", "龙", "申", "肖", "邹"}

func TestImportXLSXAndNumericIDs(t *testing.T) {
	s := openStore(t)
	hs := households(20, 8)
	x, err := NewXLSXWriter()
	if err != nil {
		t.Fatal(err)
	}
	for i := range hs {
		x.Write(&hs[i])
	}
	path := filepath.Join(t.TempDir(), "roster.xlsx")
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	res := mustImport(t, s, path, Options{})
	if res.ErrorCount != 0 || res.Created != 20 {
		t.Fatalf("xlsx import: %s", summarize(res))
	}
	// Now the fault county offices meet: an ID column stored as numbers.
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	idCol, _ := excelize.ColumnNumberToName(col("id_number") + 1)
	f.SetCellValue("Sheet1", idCol+"2", 530627198503071239.0)
	f.SetCellValue("Sheet1", idCol+"3", 530627198503071000)
	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	if err := f.SaveAs(bad); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res = mustImport(t, s, bad, Options{})
	if res.Committed {
		t.Fatal("numeric IDs were stored")
	}
	for _, row := range []int{2, 3} {
		e, ok := errorFor(res, row, "id_number")
		if !ok || (e.Reason.Key != "id.scientific" && e.Reason.Key != "id.digits_lost") {
			t.Fatalf("row %d: %+v (all: %s)", row, e, summarize(res))
		}
	}
	rep := filepath.Join(t.TempDir(), "report.xlsx")
	if err := WriteReport(rep, res, bad); err != nil {
		t.Fatal(err)
	}
	rf, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	cell := idCol + "2"
	style, _ := rf.GetCellStyle("标注 marked", cell)
	if style == 0 {
		t.Fatal("bad cell not marked in the report")
	}
	comments, _ := rf.GetComments("标注 marked")
	if len(comments) < 2 {
		t.Fatalf("comments: %d", len(comments))
	}
}

func TestTemplateHeadersAreRecognised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.xlsx")
	if err := WriteTemplate(path); err != nil {
		t.Fatal(err)
	}
	rr, err := openXLSX(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.close()
	header, _, err := rr.next()
	if err != nil {
		t.Fatal(err)
	}
	im := &importer{res: &Result{}, o: Options{MaxErrors: 10}}
	if !im.readHeader(header) || len(im.res.Warnings) > 0 {
		t.Fatalf("template header not recognised: %+v %+v", im.res.Errors, im.res.Warnings)
	}
	if !strings.HasPrefix(header[col("id_number")], "*") {
		t.Fatal("required column not marked")
	}
	// The example row imports cleanly except for the example's own ID.
	s := openStore(t)
	res := mustImport(t, s, path, Options{DryRun: true})
	for _, e := range res.Errors {
		if e.Field != "id_number" {
			t.Errorf("template example: %s row %d: %s", e.Field, e.Row, e.Reason.In(i18n.EN))
		}
	}
}

func TestMissingColumnAndEmptyFile(t *testing.T) {
	s := openStore(t)
	rows := rosterRows(t, households(2, 1))
	for i := range rows {
		rows[i] = append(rows[i][:col("id_number")], rows[i][col("id_number")+1:]...)
	}
	res := mustImport(t, s, writeCSV(t, rows), Options{})
	if _, ok := errorFor(res, 1, "id_number"); !ok || res.Committed {
		t.Fatalf("missing column not reported: %s", summarize(res))
	}
	res = mustImport(t, s, writeCSV(t, [][]string{Headers()}), Options{})
	if res.ErrorCount == 0 || res.Errors[0].Reason.Key != "reason.empty_file" {
		t.Fatalf("empty file: %s", summarize(res))
	}
}

func TestParseFen(t *testing.T) {
	for in, want := range map[string]int64{"3747.5": 374750, "3,747.50": 374750, "0": 0, "12": 1200, ".5": 50, "-1.25": -125} {
		if got, ok := parseFen(in); !ok || got != want {
			t.Errorf("parseFen(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1.2.3", "1e5"} {
		if _, ok := parseFen(in); ok {
			t.Errorf("parseFen(%q) accepted", in)
		}
	}
}

// FuzzImportCSV feeds arbitrary bytes as a roster file: the importer must
// never panic, and whatever it refuses must leave the store untouched.
func FuzzImportCSV(f *testing.F) {
	hs := households(2, 9)
	var b strings.Builder
	for _, r := range rosterRows(f, hs) {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	f.Add([]byte(b.String()))
	f.Add([]byte(strings.Join(Headers(), ",") + "\n1,2,3\n"))
	f.Add([]byte("\xff\xfe\x00garbage"))
	s := openStore(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Import(context.Background(), s, path, Options{Actor: admin, DryRun: true})
		if err != nil {
			return
		}
		for _, e := range res.Errors {
			if e.Reason.Key == "" || e.Row < 1 {
				t.Fatalf("error without reason or row: %+v", e)
			}
		}
		if nh, _, _ := s.Counts(context.Background()); nh != 0 {
			t.Fatal("dry run wrote")
		}
	})
}
