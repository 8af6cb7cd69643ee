package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// Options control an import.
type Options struct {
	DryRun bool
	Actor  auth.Principal
	// Progress, when set, is called every few thousand rows.
	Progress func(rows int)
	// MaxErrors bounds the errors kept for the report (all are counted).
	MaxErrors int
}

// RowError is one problem in the file: the 1-based row, the column header
// as written in the file, the value and the reason.
type RowError struct {
	Row    int      `json:"row"`
	Col    int      `json:"col"` // 0-based column index in the file, -1 if none
	Column string   `json:"column"`
	Field  string   `json:"field"`
	Value  string   `json:"value"`
	Reason i18n.Msg `json:"reason"`
}

// Result is what an import did or would do.
type Result struct {
	File       string        `json:"file"`
	SHA256     string        `json:"sha256"`
	Rows       int           `json:"rows"`
	Households int           `json:"households"`
	Created    int           `json:"created"`
	Updated    int           `json:"updated"`
	Unchanged  int           `json:"unchanged"`
	Errors     []RowError    `json:"errors"`
	ErrorCount int           `json:"error_count"`
	Warnings   []RowError    `json:"warnings"`
	Committed  bool          `json:"committed"`
	DryRun     bool          `json:"dry_run"`
	Elapsed    time.Duration `json:"elapsed"`
}

// Summary is the one-line outcome.
func (r Result) Summary() i18n.Msg {
	switch {
	case r.ErrorCount > 0:
		return i18n.M("import.failed", "errors", strconv.Itoa(r.ErrorCount))
	case r.DryRun:
		return i18n.M("import.dry_run")
	}
	return i18n.M("import.summary", "rows", strconv.Itoa(r.Rows), "households", strconv.Itoa(r.Households),
		"created", strconv.Itoa(r.Created), "updated", strconv.Itoa(r.Updated), "unchanged", strconv.Itoa(r.Unchanged),
		"seconds", strconv.FormatFloat(r.Elapsed.Seconds(), 'f', 1, 64))
}

type memberRow struct {
	row int
	m   registry.Member
}

type group struct {
	number   string
	firstRow int
	raw      []string // household-level cells of the first row, by column index
	h        registry.Household
	members  []memberRow
}

type importer struct {
	ctx      context.Context
	s        *store.Store
	o        Options
	res      *Result
	check    registry.Checker
	colOf    []int    // file column index → Columns index, -1 for unknown
	fileCol  []int    // Columns index → file column index, -1 when absent
	headers  []string // file headers
	seenIDs  map[uint64]int
	seenHH   map[string]bool
	counties map[string]*store.CountyIndex
	bulk     *store.Bulk
	cur      *group
	failed   bool
}

// Import reads path and, when it has no errors and DryRun is off, writes
// every household in one transaction. A returned error means the import
// could not run (unreadable file, database failure); problems in the data
// are in Result.Errors, and then nothing was written.
func Import(ctx context.Context, s *store.Store, path string, o Options) (Result, error) {
	start := time.Now()
	if o.MaxErrors <= 0 {
		o.MaxErrors = 10000
	}
	res := Result{File: filepath.Base(path), DryRun: o.DryRun, Errors: []RowError{}, Warnings: []RowError{}}
	sum, err := fileHash(path)
	if err != nil {
		return res, err
	}
	res.SHA256 = sum
	rr, err := openRows(path)
	if err != nil {
		return res, err
	}
	defer rr.close()
	im := &importer{ctx: ctx, s: s, o: o, res: &res, check: s.Checker(), seenIDs: map[uint64]int{}, seenHH: map[string]bool{}, counties: map[string]*store.CountyIndex{}}
	if err := im.run(rr); err != nil {
		if im.bulk != nil {
			im.bulk.Rollback()
		}
		return res, err
	}
	res.Elapsed = time.Since(start)
	if im.bulk != nil {
		if res.ErrorCount > 0 || o.DryRun {
			im.bulk.Rollback()
		} else {
			if err := im.bulk.LogImport(res.File, res.SHA256, res.Rows, res.Created, res.Updated, res.Unchanged); err != nil {
				im.bulk.Rollback()
				return res, err
			}
			if err := im.bulk.Commit(); err != nil {
				return res, err
			}
			res.Committed = true
			if err := s.Checkpoint(ctx); err != nil {
				return res, err
			}
		}
	}
	if res.ErrorCount > 0 {
		res.Created, res.Updated, res.Unchanged = 0, 0, 0
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (im *importer) errorAt(row, col int, field, value string, reason i18n.Msg) {
	im.res.ErrorCount++
	im.failed = true
	if len(im.res.Errors) >= im.o.MaxErrors {
		return
	}
	header := ""
	if col >= 0 && col < len(im.headers) {
		header = strings.TrimSpace(im.headers[col])
	} else if field != "" {
		header = i18n.T(i18n.ZH, "field."+field)
	}
	im.res.Errors = append(im.res.Errors, RowError{Row: row, Col: col, Column: header, Field: field, Value: value, Reason: reason})
}

// fieldError records a checker error for the column holding field.
func (im *importer) fieldError(row int, e fault.FieldError) {
	col := -1
	for i, c := range Columns {
		if c.Field == e.Field {
			col = im.fileCol[i]
		}
	}
	im.errorAt(row, col, e.Field, e.Value, e.Reason)
}

func (im *importer) run(rr rowReader) error {
	header, _, err := rr.next()
	if err == io.EOF {
		im.errorAt(1, -1, "file", "", i18n.M("reason.empty_file"))
		return nil
	}
	if err != nil {
		return err
	}
	if !im.readHeader(header) {
		return nil
	}
	if !im.o.DryRun {
		if im.bulk, err = im.s.BeginBulk(im.ctx, im.o.Actor); err != nil {
			return err
		}
	}
	for {
		cells, row, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe interface{ Unwrap() error }
			if errors.As(err, &pe) {
				im.errorAt(row, -1, "row", "", i18n.M("reason.bad_encoding"))
				break
			}
			return err
		}
		if blank(cells) {
			continue
		}
		im.res.Rows++
		if err := im.row(cells, row); err != nil {
			return err
		}
		if im.o.Progress != nil && im.res.Rows%10000 == 0 {
			im.o.Progress(im.res.Rows)
		}
		if err := im.ctx.Err(); err != nil {
			return err
		}
	}
	if err := im.finish(); err != nil {
		return err
	}
	if im.res.Rows == 0 {
		im.errorAt(2, -1, "file", "", i18n.M("reason.empty_file"))
	}
	if im.o.Progress != nil {
		im.o.Progress(im.res.Rows)
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (im *importer) readHeader(header []string) bool {
	im.headers = append([]string(nil), header...)
	im.colOf = make([]int, len(header))
	im.fileCol = make([]int, len(Columns))
	for i := range im.fileCol {
		im.fileCol[i] = -1
	}
	ok := true
	for i, h := range header {
		im.colOf[i] = -1
		if strings.TrimSpace(h) == "" {
			continue
		}
		ci, known := headerIndex[normHeader(h)]
		switch {
		case !known:
			im.res.Warnings = append(im.res.Warnings, RowError{Row: 1, Col: i, Column: h, Reason: i18n.M("reason.unknown_column")})
		case im.fileCol[ci] >= 0:
			im.errorAt(1, i, Columns[ci].Field, h, i18n.M("reason.duplicate_column"))
			ok = false
		default:
			im.colOf[i] = ci
			im.fileCol[ci] = i
		}
	}
	for ci, c := range Columns {
		if c.Required && im.fileCol[ci] < 0 {
			im.errorAt(1, -1, c.Field, "", i18n.M("reason.missing_column"))
			ok = false
		}
	}
	return ok
}

// cell returns the trimmed cell of column ci, or its default.
func (im *importer) cell(cells []string, ci int) string {
	fc := im.fileCol[ci]
	v := ""
	if fc >= 0 && fc < len(cells) {
		v = strings.TrimSpace(cells[fc])
	}
	return v
}

func (im *importer) row(cells []string, row int) error {
	numCol := fieldIndex("number")
	number := im.cell(cells, numCol)
	if im.cur == nil || number != im.cur.number {
		if err := im.finish(); err != nil {
			return err
		}
		if number != "" && im.seenHH[number] {
			im.errorAt(row, im.fileCol[numCol], "number", number, i18n.M("reason.not_contiguous"))
		}
		im.seenHH[number] = true
		im.cur = &group{number: number, firstRow: row, raw: make([]string, len(Columns))}
		im.parseHousehold(cells, row)
	} else {
		// Later rows may leave household cells empty or repeat them; they
		// may not contradict the first row.
		for ci, c := range Columns {
			if c.Level == MemberLevel {
				continue
			}
			if v := im.cell(cells, ci); v != "" && v != im.cur.raw[ci] {
				im.errorAt(row, im.fileCol[ci], c.Field, v, i18n.M("reason.household_mismatch", "first", strconv.Itoa(im.cur.firstRow)))
			}
		}
	}
	im.parseMember(cells, row)
	return nil
}

func fieldIndex(field string) int {
	for i, c := range Columns {
		if c.Field == field {
			return i
		}
	}
	panic("importer: no column " + field)
}

// value parses one cell; ok is false when it was reported as an error.
func (im *importer) value(cells []string, row, ci int) (any, bool) {
	c := Columns[ci]
	v := im.cell(cells, ci)
	if v == "" {
		if c.Required {
			im.errorAt(row, im.fileCol[ci], c.Field, "", i18n.M("reason.required"))
			return nil, false
		}
		v = c.Default
	}
	fc := im.fileCol[ci]
	bad := func(key string, kv ...string) (any, bool) {
		im.errorAt(row, fc, c.Field, v, i18n.M(key, kv...))
		return nil, false
	}
	switch c.Kind {
	case Text, IDNumber:
		return v, true
	case Int:
		if v == "" {
			return 0, true
		}
		n, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
		if err != nil {
			return bad("reason.not_integer")
		}
		return n, true
	case Decimal:
		if v == "" {
			return 0.0, true
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			return bad("reason.not_number")
		}
		return f, true
	case Money:
		if v == "" {
			return int64(0), true
		}
		fen, ok := parseFen(v)
		if !ok {
			return bad("reason.not_number")
		}
		return fen, true
	case Bool:
		switch normEnum(v) {
		case "是", "y", "yes", "true", "1", "√", "有":
			return true, true
		case "否", "n", "no", "false", "0", "×", "无", "":
			return false, true
		}
		return bad("reason.not_bool")
	case Enum:
		if v == "" {
			return "", true
		}
		code, ok := enumCodes[c.List][normEnum(v)]
		if !ok {
			return bad("reason.enum")
		}
		return code, true
	case EnumList:
		out := []string{}
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == '/' }) {
			code, ok := enumCodes[c.List][normEnum(part)]
			if !ok {
				im.errorAt(row, fc, c.Field, part, i18n.M("reason.enum"))
				return nil, false
			}
			out = append(out, code)
		}
		return out, true
	}
	return v, true
}

// parseFen reads "3,747.5" yuan as 374750 fen without floating point.
func parseFen(s string) (int64, bool) {
	s = strings.ReplaceAll(s, ",", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, false
	}
	if len(frac) > 2 {
		// Excel may write 3747.5000000001; beyond fen it must be zeros or noise below half a fen.
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt("0"+whole, 10, 64)
	if err != nil || w > 1e12 {
		return 0, false
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	n := w*100 + f
	if neg {
		n = -n
	}
	return n, true
}

func (im *importer) parseHousehold(cells []string, row int) {
	g := im.cur
	h := &g.h
	var in registry.Income
	hasIncome := false
	for ci, c := range Columns {
		if c.Level == MemberLevel {
			continue
		}
		g.raw[ci] = im.cell(cells, ci)
		if im.fileCol[ci] < 0 && !c.Required {
			if c.Default == "" {
				continue
			}
		}
		val, ok := im.value(cells, row, ci)
		if !ok {
			continue
		}
		if c.Level == IncomeLevel && g.raw[ci] != "" {
			hasIncome = true
		}
		switch c.Field {
		case "number":
			h.Number = val.(string)
		case "village_code":
			h.VillageCode = val.(string)
		case "group":
			h.Group = val.(string)
		case "head_name":
			h.HeadName = val.(string)
		case "phone":
			h.Phone = val.(string)
		case "bank_account":
			h.BankAccount = val.(string)
		case "standard":
			h.Standard = val.(string)
		case "attribute":
			h.Attribute = val.(string)
		case "main_cause":
			h.MainCause = val.(string)
		case "other_causes":
			h.OtherCauses = val.([]string)
		case "status":
			h.Status = val.(string)
		case "identified_year":
			h.IdentifiedYear = val.(int)
		case "exit_year":
			h.ExitYear = val.(int)
		case "food_secure":
			h.FoodSecure = val.(bool)
		case "clothing_secure":
			h.ClothingSecure = val.(bool)
		case "housing_area":
			h.HousingArea = val.(float64)
		case "housing_structure":
			h.HousingStructure = val.(string)
		case "housing_year":
			h.HousingYear = val.(int)
		case "housing_grade":
			h.HousingGrade = val.(string)
		case "relocation":
			h.Relocation = val.(string)
		case "water_source":
			h.WaterSource = val.(string)
		case "water_litres":
			h.WaterLitres = val.(int)
		case "water_quality":
			h.WaterQuality = val.(string)
		case "water_minutes":
			h.WaterMinutes = val.(int)
		case "water_outage_days":
			h.WaterOutageDays = val.(int)
		case "electricity":
			h.Electricity = val.(bool)
		case "cooking_fuel":
			h.CookingFuel = val.(string)
		case "land_mu":
			h.LandMu = val.(float64)
		case "has_car":
			h.HasCar = val.(bool)
		case "has_town_house":
			h.HasTownHouse = val.(bool)
		case "has_business":
			h.HasBusiness = val.(bool)
		case "improved_sanitation":
			h.ImprovedSanitation = val.(bool)
		case "assets":
			h.Assets = val.(int)
		case "child_deaths":
			h.ChildDeaths = val.(int)
		case "income_year":
			in.Year = val.(int)
		case "wages":
			in.Wages = val.(int64)
		case "business":
			in.Business = val.(int64)
		case "transfers":
			in.Transfers = val.(int64)
		case "property":
			in.Property = val.(int64)
		case "costs":
			in.Costs = val.(int64)
		case "net_income":
			in.Net = val.(int64)
		case "medical_costs":
			in.MedicalCosts = val.(int64)
		case "schooling_costs":
			in.SchoolingCosts = val.(int64)
		case "disaster_losses":
			in.DisasterLosses = val.(int64)
		}
	}
	if h.OtherCauses == nil {
		h.OtherCauses = []string{}
	}
	if hasIncome {
		if in.Year == 0 {
			im.errorAt(row, im.fileCol[fieldIndex("income_year")], "income_year", "", i18n.M("reason.required"))
		}
		h.Incomes = []registry.Income{in}
	}
}

func (im *importer) parseMember(cells []string, row int) {
	var m registry.Member
	for ci, c := range Columns {
		if c.Level != MemberLevel {
			continue
		}
		if im.fileCol[ci] < 0 && !c.Required && c.Default == "" {
			continue
		}
		val, ok := im.value(cells, row, ci)
		if !ok {
			if c.Field == "id_number" {
				m.IDNumber = "\x00" // reported already; skip the checker's second report
			}
			continue
		}
		switch c.Field {
		case "name":
			m.Name = val.(string)
		case "sex":
			m.Sex = val.(string)
		case "id_number":
			m.IDNumber = val.(string)
		case "disability_cert":
			m.DisabilityCert = val.(string)
		case "relation":
			m.Relation = val.(string)
		case "ethnicity":
			m.Ethnicity = val.(string)
		case "education":
			m.Education = val.(string)
		case "student_status":
			m.StudentStatus = val.(string)
		case "health":
			m.Health = val.(string)
		case "labour":
			m.Labour = val.(string)
		case "migrant_months":
			m.MigrantMonths = val.(int)
		case "dibao":
			m.Dibao = val.(bool)
		case "medical_insurance":
			m.MedicalInsurance = val.(bool)
		case "critical_insurance":
			m.CriticalInsurance = val.(bool)
		case "pension_insurance":
			m.PensionInsurance = val.(bool)
		case "civil_servant":
			m.CivilServant = val.(bool)
		case "deceased":
			m.Deceased = val.(bool)
		case "undernourished":
			m.Undernourished = val.(bool)
		}
	}
	im.cur.members = append(im.cur.members, memberRow{row: row, m: m})
}

// idKey packs the first 17 digits of a canonical ID number into a uint64:
// the check character follows from them, so the key is exact and a set
// of a million costs tens of megabytes, not hundreds.
func idKey(id string) uint64 {
	var k uint64
	for i := 0; i < 17 && i < len(id); i++ {
		k = k*10 + uint64(id[i]-'0')
	}
	return k
}

// finish checks the current household as a whole and writes it.
func (im *importer) finish() error {
	g := im.cur
	if g == nil {
		return nil
	}
	im.cur = nil
	im.res.Households++
	before := im.res.ErrorCount
	for _, e := range im.check.Household(&g.h) {
		im.fieldError(g.firstRow, e)
	}
	heads := 0
	for i := range g.members {
		mr := &g.members[i]
		skipID := mr.m.IDNumber == "\x00"
		if skipID {
			mr.m.IDNumber = ""
		}
		for _, e := range im.check.Member(&mr.m) {
			if skipID && e.Field == "id_number" {
				continue
			}
			im.fieldError(mr.row, e)
		}
		if mr.m.Relation == "head" {
			heads++
			if heads == 1 && g.h.HeadName != "" && mr.m.Name != g.h.HeadName {
				im.fieldError(g.firstRow, fault.FieldError{Field: "head_name", Value: g.h.HeadName, Reason: i18n.M("reason.head_name_mismatch")})
			}
			if heads == 2 {
				im.fieldError(mr.row, fault.FieldError{Field: "relation", Value: mr.m.Relation, Reason: i18n.M("reason.two_heads")})
			}
		}
		// Checker.Member fills BirthDate only when the ID number parsed, so
		// the number is not parsed a second time here.
		if !skipID && mr.m.BirthDate != "" {
			k := idKey(mr.m.IDNumber)
			if r, dup := im.seenIDs[k]; dup {
				im.fieldError(mr.row, fault.FieldError{Field: "id_number", Value: mr.m.IDNumber, Reason: i18n.M("reason.duplicate_id_file", "row", strconv.Itoa(r))})
			} else {
				im.seenIDs[k] = mr.row
			}
		}
	}
	if heads == 0 && len(g.members) > 0 {
		im.fieldError(g.firstRow, fault.FieldError{Field: "relation", Reason: i18n.M("reason.no_head")})
	}
	if g.h.County == "" {
		return nil // the village code was wrong and is reported
	}
	idx, err := im.countyIndex(g.h.County)
	if err != nil {
		return err
	}
	existing := idx.Households[g.h.Number]
	for _, mr := range g.members {
		if len(mr.m.IDNumber) != 18 {
			continue
		}
		if hid, ok := idx.Members[idKey(mr.m.IDNumber)]; ok && hid != existing {
			other, err := im.s.HouseholdNumber(im.ctx, hid)
			if err != nil {
				return err
			}
			im.fieldError(mr.row, fault.FieldError{Field: "id_number", Value: mr.m.IDNumber, Reason: i18n.M("reason.duplicate_id_db", "household", other)})
		}
	}
	if !im.o.Actor.InScope(g.h.VillageCode) {
		im.fieldError(g.firstRow, fault.FieldError{Field: "village_code", Value: g.h.VillageCode, Reason: i18n.M("error.area_outside")})
	}
	if im.res.ErrorCount > before || im.failed || im.bulk == nil {
		// Once anything is wrong nothing will be committed, so stop writing
		// but go on checking, to report every error in one pass.
		if existing != 0 {
			im.res.Updated++ // counted as "would update" for a dry run
		} else {
			im.res.Created++
		}
		return nil
	}
	g.h.Members = make([]registry.Member, len(g.members))
	for i, mr := range g.members {
		g.h.Members[i] = mr.m
	}
	if existing == 0 {
		im.res.Created++
		return im.bulk.AddHousehold(&g.h)
	}
	changed, err := im.bulk.ReplaceHousehold(existing, &g.h)
	if err != nil {
		return err
	}
	if changed {
		im.res.Updated++
	} else {
		im.res.Unchanged++
	}
	return nil
}

func (im *importer) countyIndex(county string) (*store.CountyIndex, error) {
	if idx, ok := im.counties[county]; ok {
		return idx, nil
	}
	idx, err := im.s.LoadCountyIndex(im.ctx, county, idKey)
	if err != nil {
		return nil, err
	}
	im.counties[county] = idx
	return idx, nil
}
