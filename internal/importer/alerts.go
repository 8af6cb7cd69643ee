package importer

import (
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// alertColumns are the columns of a department's data file, by field;
// each is found by its code or its Chinese or English header.
var alertColumns = []string{"id_number", "department", "risk", "note"}

// ReadAlerts reads a department's data file (CSV, UTF-8, a header row
// first) into alerts, with the file's SHA-256. Rows keep their file row
// numbers, and a row without a department gets department; a cell that cannot be read is an error naming its row and
// column, and a file without an ID number column is refused whole.
func ReadAlerts(r io.Reader, department string) ([]registry.DepartmentAlert, string, []fault.FieldError) {
	h := sha256.New()
	cr := csv.NewReader(io.TeeReader(r, h))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, "", []fault.FieldError{{Row: 1, Field: "header", Reason: i18n.M("reason.no_header")}}
	}
	col := map[string]int{}
	for i, name := range head {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		for _, f := range alertColumns {
			if strings.EqualFold(name, f) || (f == "id_number" && (name == "身份证号" || name == "身份证号码")) || name == i18n.T(i18n.ZH, "field."+f) || strings.EqualFold(name, i18n.T(i18n.EN, "field."+f)) {
				col[f] = i
			}
		}
	}
	if _, ok := col["id_number"]; !ok {
		return nil, "", []fault.FieldError{{Row: 1, Field: "id_number", Reason: i18n.M("reason.no_column")}}
	}
	var out []registry.DepartmentAlert
	var errs []fault.FieldError
	cell := func(rec []string, f string) string {
		if i, ok := col[f]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fault.FieldError{Row: row, Field: "csv", Value: err.Error(), Reason: i18n.M("reason.bad_csv")})
			break
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		a := registry.DepartmentAlert{Row: row, IDNumber: cell(rec, "id_number"), Department: cmp.Or(cell(rec, "department"), department), Note: cell(rec, "note")}
		if risk := cell(rec, "risk"); risk != "" {
			code, ok := enumCodes["risk"][normEnum(risk)]
			if !ok {
				errs = append(errs, fault.FieldError{Row: row, Field: "risk", Value: risk, Reason: i18n.M("reason.enum")})
				continue
			}
			a.Risk = code
		}
		out = append(out, a)
	}
	return out, hex.EncodeToString(h.Sum(nil)), errs
}
